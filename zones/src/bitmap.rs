//! The type bitmap field of NSEC and NSEC3 records (RFC 4034 section 4.1.2, RFC 5155 section
//! 3.2.1): the types present at a name, as window blocks.
//!
//! The one encoder and decoder of the project: the master-file reader and the presentation
//! writer, the signer's NSEC/NSEC3 chains and `daned doctor`'s denial checks all call it, so a
//! bitmap written anywhere reads back the same everywhere. The 65536 type codes are split into
//! 256 windows by their high octet; each window present is written as `window, length,
//! bitmap`, bit 0 of the first octet standing for the window's type 0. Windows with no type
//! are left out, windows come in increasing order and trailing zero octets are omitted, so
//! every set of types has exactly one encoding, and [`decode`] refuses any other.

use std::collections::BTreeSet;

//------------ encode --------------------------------------------------------

/// Encodes `types` as a type bitmap field (RFC 4034 section 4.1.2). Order and repeats in
/// `types` do not matter; an empty set gives an empty field.
pub fn encode(types: impl IntoIterator<Item = u16>) -> Vec<u8> {
    // A few types per name: a sorted vector is cheaper than a set on the signing path.
    let mut types: Vec<u16> = types.into_iter().collect();
    types.sort_unstable();
    types.dedup();
    let mut out = Vec::new();
    // The window being filled: its number, its 32 octets and how many of them are in use.
    let mut window: Option<(u8, [u8; 32], usize)> = None;
    for t in types {
        let [high, low] = t.to_be_bytes();
        let low = usize::from(low);
        if let Some((number, bits, len)) = window.take_if(|(number, _, _)| *number != high) {
            push_window(&mut out, number, &bits[..len]);
        }
        let (_, bits, len) = window.get_or_insert((high, [0; 32], 0));
        bits[low / 8] |= 0x80 >> (low % 8);
        *len = (*len).max(low / 8 + 1);
    }
    if let Some((number, bits, len)) = window {
        push_window(&mut out, number, &bits[..len]);
    }
    out
}

/// Appends one window block: number, length (1 to 32, so it fits an octet), bitmap.
fn push_window(out: &mut Vec<u8>, number: u8, bits: &[u8]) {
    out.push(number);
    out.push(bits.len() as u8);
    out.extend_from_slice(bits);
}

//------------ decode --------------------------------------------------------

/// The type codes a type bitmap field lists. Only the one encoding RFC 4034 section 4.1.2
/// allows is accepted (what [`encode`] writes), so that decoding and encoding again gives the
/// same octets.
pub fn decode(mut field: &[u8]) -> Result<BTreeSet<u16>, BitmapError> {
    let mut types = BTreeSet::new();
    let mut previous: Option<u8> = None;
    while let Some((&window, rest)) = field.split_first() {
        let (&len, rest) = rest
            .split_first()
            .ok_or(BitmapError::Truncated { window })?;
        if len == 0 || len > 32 {
            return Err(BitmapError::BadLength { window, len });
        }
        if let Some(previous) = previous.filter(|&p| p >= window) {
            return Err(BitmapError::WindowOrder { previous, window });
        }
        let bits = rest
            .get(..usize::from(len))
            .ok_or(BitmapError::Truncated { window })?;
        if bits.last() == Some(&0) {
            return Err(BitmapError::TrailingZero { window });
        }
        for (octet, &byte) in (0u16..).zip(bits) {
            for bit in 0..8 {
                if byte & (0x80 >> bit) != 0 {
                    types.insert(u16::from_be_bytes([window, 0]) | (octet * 8 + bit));
                }
            }
        }
        previous = Some(window);
        field = &rest[usize::from(len)..];
    }
    Ok(types)
}

//------------ BitmapError ---------------------------------------------------

/// Why octets are not a type bitmap field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BitmapError {
    /// The field ends inside a window block's header or bitmap.
    #[error("type bitmap ends inside window {window}")]
    Truncated {
        /// The window whose block is cut short.
        window: u8,
    },
    /// A bitmap length outside 1 to 32 (RFC 4034 section 4.1.2).
    #[error("type bitmap window {window} has length {len}, not 1 to 32 (RFC 4034 section 4.1.2)")]
    BadLength {
        /// The window.
        window: u8,
        /// Its stated length.
        len: u8,
    },
    /// Windows not in strictly increasing order (RFC 4034 section 4.1.2).
    #[error(
        "type bitmap window {window} follows window {previous}: windows must increase (RFC 4034 section 4.1.2)"
    )]
    WindowOrder {
        /// The window before.
        previous: u8,
        /// The window out of order.
        window: u8,
    },
    /// A bitmap ending in a zero octet, which RFC 4034 section 4.1.2 says must be omitted.
    #[error("type bitmap window {window} ends in a zero octet (RFC 4034 section 4.1.2)")]
    TrailingZero {
        /// The window.
        window: u8,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bitmap of RFC 4034 section 4.3's example record
    /// `alfa.example.com. 86400 IN NSEC host.example.com. (A MX RRSIG NSEC TYPE1234)`, as the
    /// RFC prints it (the octets after the next domain name).
    const RFC_4034_4_3: [u8; 37] = [
        0x00, 0x06, 0x40, 0x01, 0x00, 0x00, 0x00, 0x03, // window 0: A MX RRSIG NSEC
        0x04, 0x1b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x20, // window 4: TYPE1234
    ];

    #[test]
    fn rfc_4034_section_4_3_example_encodes_and_decodes() {
        let types = BTreeSet::from([1, 15, 46, 47, 1234]);
        assert_eq!(encode(types.iter().copied()), RFC_4034_4_3);
        assert_eq!(decode(&RFC_4034_4_3), Ok(types));
    }

    #[test]
    fn order_and_repeats_of_the_input_do_not_change_the_encoding() {
        assert_eq!(encode([1234, 47, 1, 46, 15, 1]), RFC_4034_4_3);
    }

    #[test]
    fn no_types_is_an_empty_field() {
        assert!(encode([]).is_empty());
        assert_eq!(decode(&[]), Ok(BTreeSet::new()));
    }

    #[test]
    fn the_highest_type_fills_the_last_window() {
        let field = encode([65535]);
        assert_eq!(field.len(), 2 + 32);
        assert_eq!(&field[..2], &[255, 32]);
        assert_eq!(field[33], 0x01);
        assert_eq!(decode(&field), Ok(BTreeSet::from([65535])));
    }

    #[test]
    fn a_cut_short_field_is_truncated() {
        assert_eq!(decode(&[0]), Err(BitmapError::Truncated { window: 0 }));
        assert_eq!(
            decode(&RFC_4034_4_3[..36]),
            Err(BitmapError::Truncated { window: 4 })
        );
    }

    #[test]
    fn window_lengths_outside_one_to_thirty_two_are_refused() {
        assert_eq!(
            decode(&[0, 0]),
            Err(BitmapError::BadLength { window: 0, len: 0 })
        );
        let mut long = vec![0, 33];
        long.extend([0xff; 33]);
        assert_eq!(
            decode(&long),
            Err(BitmapError::BadLength { window: 0, len: 33 })
        );
    }

    #[test]
    fn windows_out_of_order_or_repeated_are_refused() {
        assert_eq!(
            decode(&[4, 1, 0x80, 0, 1, 0x40]),
            Err(BitmapError::WindowOrder {
                previous: 4,
                window: 0
            })
        );
        assert_eq!(
            decode(&[0, 1, 0x40, 0, 1, 0x20]),
            Err(BitmapError::WindowOrder {
                previous: 0,
                window: 0
            })
        );
    }

    #[test]
    fn a_trailing_zero_octet_is_refused() {
        assert_eq!(
            decode(&[0, 2, 0x40, 0]),
            Err(BitmapError::TrailingZero { window: 0 })
        );
    }

    #[test]
    fn every_set_of_types_round_trips() {
        let sets: [&[u16]; 5] = [
            &[2, 6, 46, 47, 48, 51],
            &[0, 255, 256, 511, 512],
            &[52, 257, 32768, 65280],
            &[7, 8, 9, 10, 11, 12, 13, 14, 15, 16],
            &[65534, 65535],
        ];
        for set in sets {
            let types: BTreeSet<u16> = set.iter().copied().collect();
            assert_eq!(decode(&encode(set.iter().copied())), Ok(types), "{set:?}");
        }
    }
}
