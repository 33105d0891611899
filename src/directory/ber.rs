//! The little BER (ASN.1 Basic Encoding Rules) that Active Directory's own LDAP controls need.
//!
//! The DirSync request and response values and the security-descriptor flags value are small
//! sequences of integers and octet strings; this module writes and reads exactly those, and
//! refuses anything malformed with an error instead of panicking on what a server sent.

/// A BER value this module can write or read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ber {
    /// INTEGER (universal tag 2).
    Integer(i64),
    /// OCTET STRING (universal tag 4).
    Bytes(Vec<u8>),
    /// SEQUENCE (universal tag 0x30).
    Sequence(Vec<Ber>),
}

/// Why bytes could not be read as BER.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed control value from the server: {0}")]
pub struct BerError(&'static str);

const TAG_INTEGER: u8 = 0x02;
const TAG_OCTETS: u8 = 0x04;
const TAG_SEQUENCE: u8 = 0x30;

impl Ber {
    /// The encoding of this value.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }

    fn encode_into(&self, out: &mut Vec<u8>) {
        match self {
            Ber::Integer(n) => {
                let bytes = n.to_be_bytes();
                // Minimal two's-complement form: drop leading bytes that only repeat the sign.
                let mut start = 0;
                while start < 7 {
                    let (b, next) = (bytes[start], bytes[start + 1]);
                    if (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
                        start += 1;
                    } else {
                        break;
                    }
                }
                write_tlv(out, TAG_INTEGER, &bytes[start..]);
            }
            Ber::Bytes(bytes) => write_tlv(out, TAG_OCTETS, bytes),
            Ber::Sequence(items) => {
                let mut inner = Vec::new();
                for item in items {
                    item.encode_into(&mut inner);
                }
                write_tlv(out, TAG_SEQUENCE, &inner);
            }
        }
    }

    /// Reads one value that must fill `bytes` exactly.
    pub fn decode(bytes: &[u8]) -> Result<Ber, BerError> {
        let (value, rest) = read(bytes)?;
        if !rest.is_empty() {
            return Err(BerError("bytes left over after the value"));
        }
        Ok(value)
    }

    /// The items of a sequence.
    pub fn items(&self) -> Result<&[Ber], BerError> {
        match self {
            Ber::Sequence(items) => Ok(items),
            _ => Err(BerError("expected a sequence")),
        }
    }

    /// The number of an integer.
    pub fn integer(&self) -> Result<i64, BerError> {
        match self {
            Ber::Integer(n) => Ok(*n),
            _ => Err(BerError("expected an integer")),
        }
    }

    /// The bytes of an octet string.
    pub fn bytes(&self) -> Result<&[u8], BerError> {
        match self {
            Ber::Bytes(b) => Ok(b),
            _ => Err(BerError("expected an octet string")),
        }
    }
}

fn write_tlv(out: &mut Vec<u8>, tag: u8, content: &[u8]) {
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let be = (len as u64).to_be_bytes();
        let skip = be.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (8 - skip) as u8);
        out.extend_from_slice(&be[skip..]);
    }
    out.extend_from_slice(content);
}

fn read(bytes: &[u8]) -> Result<(Ber, &[u8]), BerError> {
    let (&tag, rest) = bytes.split_first().ok_or(BerError("value is empty"))?;
    let (&first, mut rest) = rest.split_first().ok_or(BerError("length is missing"))?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return Err(BerError("unsupported length form"));
        }
        let (digits, after) = split(rest, count)?;
        rest = after;
        digits
            .iter()
            .fold(0usize, |acc, d| (acc << 8) | usize::from(*d))
    };
    let (content, rest) = split(rest, len)?;
    let value = match tag {
        TAG_INTEGER => {
            if content.is_empty() || content.len() > 8 {
                return Err(BerError("integer of unsupported size"));
            }
            let negative = content[0] & 0x80 != 0;
            let mut n: i64 = if negative { -1 } else { 0 };
            for b in content {
                n = (n << 8) | i64::from(*b);
            }
            Ber::Integer(n)
        }
        TAG_OCTETS => Ber::Bytes(content.to_vec()),
        TAG_SEQUENCE => {
            let mut items = Vec::new();
            let mut inner = content;
            while !inner.is_empty() {
                let (item, after) = read(inner)?;
                items.push(item);
                inner = after;
            }
            Ber::Sequence(items)
        }
        _ => return Err(BerError("unexpected tag")),
    };
    Ok((value, rest))
}

fn split(bytes: &[u8], n: usize) -> Result<(&[u8], &[u8]), BerError> {
    if bytes.len() < n {
        Err(BerError("value is cut short"))
    } else {
        Ok(bytes.split_at(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_use_the_shortest_twos_complement_form() {
        assert_eq!(Ber::Integer(0).encode(), [0x02, 0x01, 0x00]);
        assert_eq!(Ber::Integer(127).encode(), [0x02, 0x01, 0x7f]);
        assert_eq!(Ber::Integer(128).encode(), [0x02, 0x02, 0x00, 0x80]);
        assert_eq!(Ber::Integer(-1).encode(), [0x02, 0x01, 0xff]);
        // The DirSync flag word 0x80000000 is a positive INTEGER on the wire.
        assert_eq!(
            Ber::Integer(0x8000_0000).encode(),
            [0x02, 0x05, 0x00, 0x80, 0x00, 0x00, 0x00]
        );
        for n in [0, 1, -1, 255, 256, -129, 0x8000_0000, i64::from(i32::MIN)] {
            assert_eq!(Ber::decode(&Ber::Integer(n).encode()), Ok(Ber::Integer(n)));
        }
    }

    #[test]
    fn sequences_with_long_octet_strings_round_trip() {
        let value = Ber::Sequence(vec![
            Ber::Integer(1),
            Ber::Integer(1_048_576),
            Ber::Bytes(vec![7; 300]),
        ]);
        let bytes = value.encode();
        assert_eq!(&bytes[..4], [0x30, 0x82, 0x01, 0x38]);
        assert_eq!(Ber::decode(&bytes), Ok(value));
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        let good = Ber::Sequence(vec![Ber::Integer(5), Ber::Bytes(b"cookie".to_vec())]).encode();
        for cut in 0..good.len() {
            assert!(Ber::decode(&good[..cut]).is_err(), "prefix of {cut} bytes");
        }
        assert!(Ber::decode(&[0x05, 0x00]).is_err());
        assert!(Ber::decode(&[0x02, 0x00]).is_err());
        assert!(Ber::decode(&[0x04, 0x85, 1, 1, 1, 1, 1]).is_err());
        assert!(Ber::decode(&[0x04, 0x01, 0x00, 0x00]).is_err());
    }
}
