//! Small wire-format helpers shared by the record builders (RFC 1035 section 3.1 names).

use zones::Name;

/// The uncompressed wire form of `name`, lowercased when `lower` (RFC 4034 section 6.2).
pub(crate) fn name_to_wire(name: &Name, lower: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len() + 2);
    for label in name.iter() {
        out.push(label.len() as u8);
        if lower {
            out.extend(label.iter().map(u8::to_ascii_lowercase));
        } else {
            out.extend_from_slice(label);
        }
    }
    out.push(0);
    out
}

/// Reads a big-endian u16 at `pos`, if the slice is long enough.
pub(crate) fn u16_at(buf: &[u8], pos: usize) -> Option<u16> {
    Some(u16::from_be_bytes(buf.get(pos..pos + 2)?.try_into().ok()?))
}

/// Reads a big-endian u32 at `pos`, if the slice is long enough.
pub(crate) fn u32_at(buf: &[u8], pos: usize) -> Option<u32> {
    Some(u32::from_be_bytes(buf.get(pos..pos + 4)?.try_into().ok()?))
}
