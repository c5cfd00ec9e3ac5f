//! Crockford base32: the alphabet a person can read aloud, copy by hand and type back.
//!
//! No `I`, `L`, `O` or `U`, so the decoder can forgive the usual confusions (O for 0, I and
//! L for 1) and upper/lower case, which matters for a token written on paper in a hurry.

/// The 32 symbols, in value order.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The symbol for a 5-bit value (higher bits are ignored).
pub fn symbol(value: u8) -> char {
    ALPHABET[usize::from(value & 0x1f)] as char
}

/// Maps one typed character to its 5-bit value, forgiving case and look-alikes.
fn symbol_value(c: char) -> Option<u8> {
    let c = match c.to_ascii_uppercase() {
        'O' => '0',
        'I' | 'L' => '1',
        other => other,
    };
    ALPHABET
        .iter()
        .position(|&a| a as char == c)
        .map(|v| v as u8)
}

/// Writes `bits` bits of `bytes` (most significant first) as symbols, padding the last
/// symbol with zero bits.
pub fn encode_bits(bytes: &[u8], bits: usize, out: &mut String) {
    let symbols = bits.div_ceil(5);
    for s in 0..symbols {
        let mut value = 0u8;
        for b in 0..5 {
            let bit = s * 5 + b;
            let set = bit < bits && bytes[bit / 8] & (0x80 >> (bit % 8)) != 0;
            value = (value << 1) | u8::from(set);
        }
        out.push(symbol(value));
    }
}

/// Reads typed text as symbol values, skipping spaces and hyphens. Returns `None` on any
/// other character outside the alphabet.
pub fn decode_symbols(input: &str, into: &mut Vec<u8>) -> Option<()> {
    for c in input.chars() {
        if c == '-' || c.is_whitespace() {
            continue;
        }
        into.push(symbol_value(c)?);
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_known_bits() {
        let mut out = String::new();
        encode_bits(&[0xff, 0x00], 10, &mut out);
        // 11111 11100: values 31 and 28.
        assert_eq!(out, "ZW");
    }

    #[test]
    fn decoding_forgives_case_lookalikes_and_separators() {
        let mut strict = Vec::new();
        decode_symbols("01ABZ", &mut strict).unwrap();
        let mut forgiving = Vec::new();
        decode_symbols("o-i a\tbz", &mut forgiving).unwrap();
        assert_eq!(strict, forgiving);
        let mut l = Vec::new();
        decode_symbols("L", &mut l).unwrap();
        assert_eq!(l, vec![1]);
    }

    #[test]
    fn decoding_rejects_characters_outside_the_alphabet() {
        assert!(decode_symbols("AB#", &mut Vec::new()).is_none());
        assert!(decode_symbols("U", &mut Vec::new()).is_none());
    }
}
