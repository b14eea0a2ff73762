//! The malformed share of `benches/flood_mix.sh`: sends malformed queries
//! (`benches/support/hostile.rs`) to a DNS server at a fixed rate for a bounded time from one
//! loopback source, and counts the replies per kind. Prints one `key value` line each.
//!
//! usage: flood_mix_sender PORT PPS SECONDS [SOURCE]
//!   PORT     the server's UDP port on 127.0.0.1
//!   PPS      malformed packets per second
//!   SECONDS  how long (at most 600)
//!   SOURCE   local address to send from (default 127.0.0.9)

#[path = "../benches/support/hostile.rs"]
mod hostile;

use std::net::UdpSocket;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize| args.get(i).and_then(|a| a.parse::<u64>().ok());
    let (Some(port), Some(pps), Some(seconds)) = (arg(1), arg(2), arg(3)) else {
        eprintln!("usage: flood_mix_sender PORT PPS SECONDS [SOURCE]");
        std::process::exit(2);
    };
    let seconds = seconds.min(600);
    let source = args.get(4).map_or("127.0.0.9", String::as_str);
    let sock = UdpSocket::bind((source, 0)).expect("bind the sender");
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let receiver = sock.try_clone().expect("clone socket");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopped = std::sync::Arc::clone(&stop);
    let counting = std::thread::spawn(move || {
        let mut replies = hostile::Replies::default();
        let mut buf = [0u8; 4096];
        loop {
            match receiver.recv_from(&mut buf) {
                Ok((n, _)) => replies.count(&buf[..n]),
                Err(_) if stopped.load(std::sync::atomic::Ordering::Relaxed) => break,
                Err(_) => {}
            }
        }
        replies
    });
    let started = Instant::now();
    let end = Duration::from_secs(seconds);
    let mut packet = Vec::with_capacity(64);
    let mut sent = 0u64;
    // Paced in slices of 1 ms: the packets due by now are sent, then a short sleep.
    while started.elapsed() < end {
        let due = (started.elapsed().as_secs_f64() * pps as f64) as u64;
        while sent < due {
            hostile::packet(sent, &mut packet);
            let _ = sock.send_to(&packet, ("127.0.0.1", port as u16));
            sent += 1;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    // Late replies: 0.5 s.
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let replies = counting.join().expect("receiver");
    println!("malformed_sent {sent}");
    for kind in hostile::KINDS {
        println!(
            "replies_{} {}",
            kind.as_str(),
            replies.by_kind[kind.index()]
        );
    }
    println!("replies_unknown_id {}", replies.unknown);
    println!("qr1_answered {}", replies.to_responses());
}
