//! How the embedded store packs many small entries into one stored value.
//!
//! sled keeps every value it is given at about two and a half times its size on disk, and one
//! entry per connector object, identity and DN would make the store many times larger than the
//! directory it mirrors. The big key spaces are therefore stored as *groups*: the entries whose
//! keys share a group name are kept together, sorted, in one zstd-compressed value. Similar
//! records side by side compress well, and a group is read and written as a whole.
//!
//! Two ways of naming a group:
//! - [`Packing::ByTail`] for keys that end in a random anchor (`contoso/<base64 GUID>`): the key
//!   up to its last `/` plus the next [`TAIL`] bytes. The group name is a prefix of each of its
//!   keys, so groups sort like their keys and a prefix scan reads only the groups it needs.
//! - [`Packing::ByHash`] for keys that only ever are looked up whole or scanned per connector
//!   (the DN index, the join index): the key up to its first `/`, then `#` and a stable hash.
//!
//! This module is pure (no I/O); [`super::SledStore`] does the reading and writing.

/// How a key space is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packing {
    /// One stored value per entry.
    Single,
    /// Grouped by the key's last path segment's first bytes.
    ByTail,
    /// Grouped by a hash of the whole key, within its first path segment.
    ByHash,
}

/// Bytes of the last path segment that name a ByTail group: two base64 characters, 4,096
/// groups per connector. 100,000 objects make groups of about 25; a million, about 250.
pub const TAIL: usize = 2;

/// Groups per first path segment for ByHash keys.
const HASH_GROUPS: u64 = 4096;

/// The format tag of a group stored as is.
const FORMAT_PLAIN: u8 = 0;
/// The format tag of a compressed group.
const FORMAT_ZSTD: u8 = 1;

/// Groups smaller than this are stored as is: compressing a few records costs more time (zstd
/// builds its tables for every call) than the little space it saves.
const COMPRESS_FROM: usize = 2048;

/// The zstd level: the fastest, which already takes similar records down several times.
const LEVEL: i32 = 1;

/// A decoded group: its entries sorted by key.
pub type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// Changes to a group's entries: a value to set, or None to remove.
pub type Changes = Vec<(Vec<u8>, Option<Vec<u8>>)>;

/// The name of the group `key` belongs to.
pub fn group_of(packing: Packing, key: &[u8]) -> Vec<u8> {
    match packing {
        Packing::Single => key.to_vec(),
        Packing::ByTail => {
            let start = key.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
            key[..(start + TAIL).min(key.len())].to_vec()
        }
        Packing::ByHash => {
            let cut = key.iter().position(|&b| b == b'/').map_or(0, |i| i + 1);
            let mut group = key[..cut].to_vec();
            group.extend_from_slice(format!("#{:03x}", fnv1a(key) % HASH_GROUPS).as_bytes());
            group
        }
    }
}

/// Where to look for the entries whose keys start with `prefix`: every group whose name starts
/// with the returned scan prefix, plus the one extra group returned, if any (a ByTail group
/// whose name is shorter than the prefix). Entries must still be filtered by `prefix`.
pub fn scan_plan(packing: Packing, prefix: &[u8]) -> (Vec<u8>, Option<Vec<u8>>) {
    match packing {
        Packing::Single => (prefix.to_vec(), None),
        Packing::ByTail => {
            let own = group_of(packing, prefix);
            let extra = (own.len() < prefix.len()).then_some(own);
            (prefix.to_vec(), extra)
        }
        Packing::ByHash => match prefix.iter().position(|&b| b == b'/') {
            Some(i) => (prefix[..=i].to_vec(), None),
            None => (Vec::new(), None),
        },
    }
}

/// FNV-1a, 64 bits: stable across builds and platforms, which a stored layout needs.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// Encodes sorted entries as the run of (key length, key, value length, value), lengths as
/// little-endian u32: after a format byte as is, or compressed after the format byte and the
/// run's length.
pub fn encode(entries: &[(Vec<u8>, Vec<u8>)]) -> Result<Vec<u8>, String> {
    let size: usize = entries.iter().map(|(k, v)| 8 + k.len() + v.len()).sum();
    let mut plain = Vec::with_capacity(size);
    for (k, v) in entries {
        for part in [k, v] {
            let len = u32::try_from(part.len()).map_err(|_| "an entry over 4 GiB".to_string())?;
            plain.extend_from_slice(&len.to_le_bytes());
            plain.extend_from_slice(part);
        }
    }
    if plain.len() < COMPRESS_FROM {
        plain.insert(0, FORMAT_PLAIN);
        return Ok(plain);
    }
    let plain_len = u32::try_from(plain.len()).map_err(|_| "a group over 4 GiB".to_string())?;
    let compressed = COMPRESSOR.with(|slot| {
        let mut slot = slot.borrow_mut();
        let compressor = match &mut *slot {
            Some(c) => c,
            empty => empty.insert(zstd::bulk::Compressor::new(LEVEL).map_err(|e| e.to_string())?),
        };
        compressor.compress(&plain).map_err(|e| e.to_string())
    })?;
    let mut out = Vec::with_capacity(5 + compressed.len());
    out.push(FORMAT_ZSTD);
    out.extend_from_slice(&plain_len.to_le_bytes());
    out.extend_from_slice(&compressed);
    Ok(out)
}

thread_local! {
    // zstd contexts are costly to set up: each thread keeps one of each.
    static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
        const { std::cell::RefCell::new(None) };
    static DECOMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { std::cell::RefCell::new(None) };
}

/// Decodes what [`encode`] wrote; an error names what is wrong.
pub fn decode(bytes: &[u8]) -> Result<Entries, String> {
    let (&format, body) = bytes.split_first().ok_or("an empty group")?;
    let inflated;
    let plain: &[u8] = match format {
        FORMAT_PLAIN => body,
        FORMAT_ZSTD => {
            let (plain_len, body) = body.split_first_chunk::<4>().ok_or("a group cut short")?;
            let plain_len = u32::from_le_bytes(*plain_len) as usize;
            inflated = DECOMPRESSOR.with(|slot| {
                let mut slot = slot.borrow_mut();
                let decompressor = match &mut *slot {
                    Some(d) => d,
                    empty => {
                        empty.insert(zstd::bulk::Decompressor::new().map_err(|e| e.to_string())?)
                    }
                };
                decompressor
                    .decompress(body, plain_len)
                    .map_err(|e| e.to_string())
            })?;
            if inflated.len() != plain_len {
                return Err("a group shorter than its header says".into());
            }
            &inflated
        }
        other => return Err(format!("a group in unknown format {other}")),
    };
    let mut entries = Vec::new();
    let mut rest = plain;
    let take = |rest: &mut &[u8]| -> Result<Vec<u8>, String> {
        let (len, tail) = rest.split_first_chunk::<4>().ok_or("a group cut short")?;
        let len = u32::from_le_bytes(*len) as usize;
        if tail.len() < len {
            return Err("a group cut short".into());
        }
        let (part, tail) = tail.split_at(len);
        *rest = tail;
        Ok(part.to_vec())
    };
    while !rest.is_empty() {
        let k = take(&mut rest)?;
        let v = take(&mut rest)?;
        entries.push((k, v));
    }
    if entries.windows(2).any(|w| w[0].0 >= w[1].0) {
        return Err("a group with its keys out of order".into());
    }
    Ok(entries)
}

/// The value under `key` in decoded entries.
pub fn find<'a>(entries: &'a Entries, key: &[u8]) -> Option<&'a [u8]> {
    entries
        .binary_search_by(|(k, _)| k.as_slice().cmp(key))
        .ok()
        .map(|i| entries[i].1.as_slice())
}

/// Applies changes (None removes) to decoded entries, keeping them sorted.
pub fn apply(entries: &mut Entries, changes: Changes) {
    for (k, v) in changes {
        match (entries.binary_search_by(|(e, _)| e.as_slice().cmp(&k)), v) {
            (Ok(i), Some(v)) => entries[i].1 = v,
            (Ok(i), None) => {
                entries.remove(i);
            }
            (Err(i), Some(v)) => entries.insert(i, (k, v)),
            (Err(_), None) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_groups_are_prefixes_and_scans_find_every_key() {
        let keys: Vec<&[u8]> = vec![
            b"contoso/AbCdEf==",
            b"contoso/Ab",
            b"contoso/A",
            b"contoso/",
            b"contoso/x/deeper",
            b"fabrikam/AbZZ",
            b"p/contoso/QQxx",
        ];
        for key in &keys {
            assert!(key.starts_with(&group_of(Packing::ByTail, key)));
        }
        assert_eq!(
            group_of(Packing::ByTail, b"contoso/AbCdEf=="),
            b"contoso/Ab"
        );
        // Each prefix finds exactly the keys that start with it, through its plan.
        for prefix in [
            &b""[..],
            b"c",
            b"contoso/",
            b"contoso/A",
            b"contoso/AbC",
            b"contoso/x/",
            b"p/",
        ] {
            let (scan, extra) = scan_plan(Packing::ByTail, prefix);
            let found: Vec<&[u8]> = keys
                .iter()
                .copied()
                .filter(|k| {
                    let g = group_of(Packing::ByTail, k);
                    g.starts_with(&scan) || extra.as_deref() == Some(g.as_slice())
                })
                .filter(|k| k.starts_with(prefix))
                .collect();
            let expected: Vec<&[u8]> = keys
                .iter()
                .copied()
                .filter(|k| k.starts_with(prefix))
                .collect();
            assert_eq!(
                found,
                expected,
                "prefix {:?}",
                String::from_utf8_lossy(prefix)
            );
        }
    }

    #[test]
    fn hash_groups_stay_within_their_first_segment_and_scans_find_every_key() {
        let keys: Vec<&[u8]> = vec![
            b"contoso/cn=a,dc=contoso",
            b"contoso/cn=b/slash,dc=contoso",
            b"fabrikam/cn=a,dc=fabrikam",
            b"mail:a@contoso.com",
            b"sam:a|a",
        ];
        for key in &keys {
            let g = group_of(Packing::ByHash, key);
            assert_eq!(g, group_of(Packing::ByHash, key), "stable");
        }
        assert!(group_of(Packing::ByHash, b"contoso/cn=a,dc=contoso").starts_with(b"contoso/#"));
        for prefix in [&b""[..], b"contoso/", b"contoso/cn=b", b"mail:", b"fab"] {
            let (scan, extra) = scan_plan(Packing::ByHash, prefix);
            assert!(extra.is_none());
            let found = keys
                .iter()
                .filter(|k| {
                    group_of(Packing::ByHash, k).starts_with(&scan) && k.starts_with(prefix)
                })
                .count();
            assert_eq!(found, keys.iter().filter(|k| k.starts_with(prefix)).count());
        }
    }

    #[test]
    fn a_group_round_trips_and_damage_is_named() {
        let mut entries: Entries = Vec::new();
        apply(
            &mut entries,
            vec![
                (b"b".to_vec(), Some(b"two".to_vec())),
                (b"a".to_vec(), Some(b"one".to_vec())),
                (b"c".to_vec(), Some(Vec::new())),
                (b"zz".to_vec(), None),
            ],
        );
        apply(
            &mut entries,
            vec![
                (b"c".to_vec(), None),
                (b"a".to_vec(), Some(b"uno".to_vec())),
            ],
        );
        let bytes = encode(&entries).unwrap();
        let back = decode(&bytes).unwrap();
        assert_eq!(
            back,
            vec![
                (b"a".to_vec(), b"uno".to_vec()),
                (b"b".to_vec(), b"two".to_vec())
            ]
        );
        assert_eq!(find(&back, b"b"), Some(&b"two"[..]));
        assert_eq!(find(&back, b"c"), None);
        // A bigger group is compressed, and reads back the same.
        let big: Entries = (0..100)
            .map(|i| {
                (
                    format!("k{i:03}").into_bytes(),
                    b"a value much like the others".to_vec(),
                )
            })
            .collect();
        let packed = encode(&big).unwrap();
        assert_eq!(packed[0], FORMAT_ZSTD);
        assert!(packed.len() < 1000, "{}", packed.len());
        assert_eq!(decode(&packed).unwrap(), big);
        assert!(decode(&packed[..packed.len() - 3]).is_err());
        assert!(decode(&[]).unwrap_err().contains("empty"));
        assert!(decode(&[7, 1, 2]).unwrap_err().contains("unknown format 7"));
        assert!(decode(&bytes[..bytes.len() - 3]).is_err());
    }
}
