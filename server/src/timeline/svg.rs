//! The timeline as an SVG chart: one labelled lane per [`Lane`], time from left to right
//! with dated ticks, a marker per event (filled: past, hollow: planned) with its label, and a
//! line at the timeline's moment. Written by hand: a few elements, no layout engine needed.

use std::fmt::Write as _;

use super::{Lane, Timeline, When};
use crate::daemon::lifecycle::utc;

/// Chart width in pixels.
const WIDTH: u64 = 1200;
/// Left margin, where the lane labels go.
const LEFT: u64 = 130;
/// Right margin.
const RIGHT: u64 = 40;
/// Height of one lane.
const LANE: u64 = 90;
/// Top margin (title).
const TOP: u64 = 50;
/// Bottom margin (time axis).
const BOTTOM: u64 = 50;
/// Label rows per lane, so that neighbouring labels do not overlap.
const ROWS: u64 = 4;

/// The chart of `timeline`.
pub fn render(timeline: &Timeline) -> String {
    let height = TOP + LANE * Lane::ALL.len() as u64 + BOTTOM;
    let span = timeline.until.saturating_sub(timeline.from).max(1);
    let x = |t: u64| -> u64 {
        LEFT + (t.saturating_sub(timeline.from)) * (WIDTH - LEFT - RIGHT) / span
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
<text x="{LEFT}" y="24" font-size="16" font-weight="bold">{} — {} to {}</text>"#,
        escape(&timeline.zone),
        utc(signer::Timestamp(timeline.from)),
        utc(signer::Timestamp(timeline.until)),
    );
    for (i, lane) in Lane::ALL.iter().enumerate() {
        let top = TOP + LANE * i as u64;
        let fill = if i % 2 == 0 { "#f4f6f8" } else { "#ffffff" };
        let _ = writeln!(
            out,
            r#"<g class="lane" id="lane-{i}"><rect x="0" y="{top}" width="{WIDTH}" height="{LANE}" fill="{fill}"/><text x="10" y="{}" font-size="13" font-weight="bold">{}</text></g>"#,
            top + LANE / 2 + 4,
            escape(lane.label())
        );
    }
    // Time ticks.
    let axis = TOP + LANE * Lane::ALL.len() as u64;
    let _ = writeln!(
        out,
        r##"<line x1="{LEFT}" y1="{axis}" x2="{}" y2="{axis}" stroke="#555"/>"##,
        WIDTH - RIGHT
    );
    for k in 0..=6 {
        let t = timeline.from + span * k / 6;
        let tx = x(t);
        let date = utc(signer::Timestamp(t));
        let anchor = match k {
            0 => "start",
            6 => "end",
            _ => "middle",
        };
        let _ = writeln!(
            out,
            r##"<line x1="{tx}" y1="{TOP}" x2="{tx}" y2="{axis}" stroke="#ddd"/><text x="{tx}" y="{}" text-anchor="{anchor}">{}</text>"##,
            axis + 18,
            escape(date.get(..16).unwrap_or(&date))
        );
    }
    if (timeline.from..=timeline.until).contains(&timeline.now) {
        let nx = x(timeline.now);
        let _ = writeln!(
            out,
            r##"<line x1="{nx}" y1="{TOP}" x2="{nx}" y2="{axis}" stroke="#c00" stroke-dasharray="4 3"/><text x="{nx}" y="{}" fill="#c00" text-anchor="middle">now</text>"##,
            TOP - 4
        );
    }
    // Events, each lane's labels cycling through its rows.
    let mut row = [0u64; 5];
    for e in &timeline.events {
        let i = Lane::ALL.iter().position(|l| *l == e.lane).unwrap_or(0);
        let r = row[i] % ROWS;
        row[i] += 1;
        let top = TOP + LANE * i as u64;
        let y = top + 14 + r * (LANE - 20) / ROWS;
        let ex = x(e.at);
        let (fill, colour) = match e.when {
            When::Past => ("#2b6cb0", "#2b6cb0"),
            When::Planned => ("white", "#dd6b20"),
        };
        let _ = writeln!(
            out,
            r#"<g class="event"><title>{} {}</title><circle cx="{ex}" cy="{y}" r="4" fill="{fill}" stroke="{colour}" stroke-width="2"/><text x="{}" y="{}">{}</text></g>"#,
            escape(&utc(signer::Timestamp(e.at))),
            escape(&e.what),
            ex + 7,
            y + 4,
            escape(&e.what)
        );
    }
    let _ = writeln!(
        out,
        r##"<g class="legend"><circle cx="{}" cy="{}" r="4" fill="#2b6cb0"/><text x="{}" y="{}">past</text><circle cx="{}" cy="{}" r="4" fill="white" stroke="#dd6b20" stroke-width="2"/><text x="{}" y="{}">planned</text></g>"##,
        WIDTH - 200,
        20,
        WIDTH - 190,
        24,
        WIDTH - 130,
        20,
        WIDTH - 120,
        24
    );
    out.push_str("</svg>\n");
    out
}

/// `text` with the XML special characters escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::TimelineEvent;

    #[test]
    fn every_lane_is_labelled_and_text_is_escaped() {
        let t = Timeline::new(
            "a<b>.example.".into(),
            150,
            100,
            200,
            [TimelineEvent {
                at: 120,
                lane: Lane::Keys,
                when: When::Past,
                what: "zsk 1 & co".into(),
            }],
        );
        let svg = render(&t);
        for lane in Lane::ALL {
            assert!(svg.contains(&format!(">{}</text>", escape(lane.label()))));
        }
        assert!(svg.contains("a&lt;b&gt;.example."));
        assert!(svg.contains("zsk 1 &amp; co"));
        assert!(!svg.contains("a<b>"));
    }
}
