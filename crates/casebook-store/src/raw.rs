//! The raw store's bytes: zstd-compressed, and with a key sealed with
//! XChaCha20-Poly1305 (an authenticated cipher: a changed byte is found
//! out, not decrypted into garbage). A sealed value carries the key's
//! fingerprint, so a value sealed with another key says so.

use crate::StoreError;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::Digest;
use std::fmt;

/// A message's original bytes as the raw store keeps them. Made with
/// [`compress_raw`] off the store's task (it costs CPU), stored as is.
#[derive(Debug, Clone)]
pub struct CompressedRaw(pub(crate) Vec<u8>);

impl CompressedRaw {
    /// The bytes as they are stored.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

/// zstd's fastest level: on support mail it stores within 1 % of level 3's
/// size (500 messages of the bench corpus: 286,911 against 285,122 bytes)
/// for about a third less compressing time in a first sync.
const LEVEL: i32 = 1;
/// How a sealed value starts; zstd frames start with 28 b5 2f fd, so the
/// two never look alike.
const SEALED: &[u8; 4] = b"CBX1";
const FINGERPRINT: usize = 8;
const NONCE: usize = 24;

/// A key for the raw store (32 bytes). Never printed: `Debug` and
/// [`RawKey::fingerprint`] show only a fingerprint of it.
#[derive(Clone)]
pub struct RawKey {
    cipher: XChaCha20Poly1305,
    fingerprint: [u8; FINGERPRINT],
}

impl fmt::Debug for RawKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawKey({})", self.fingerprint())
    }
}

impl RawKey {
    /// Reads a key file's text: 64 hexadecimal digits (spaces and line
    /// breaks around them are ignored). `None` for anything else.
    pub fn from_hex(text: &str) -> Option<Self> {
        let key = key_bytes(text)?;
        let digest = sha2::Sha256::digest(key);
        let mut fingerprint = [0u8; FINGERPRINT];
        fingerprint.copy_from_slice(&digest[..FINGERPRINT]);
        Some(Self {
            cipher: XChaCha20Poly1305::new(&key.into()),
            fingerprint,
        })
    }

    /// A new random key as a key file's text.
    pub fn generate_hex() -> Result<String, StoreError> {
        let mut key = [0u8; 32];
        getrandom::getrandom(&mut key).map_err(|e| StoreError::Random(e.to_string()))?;
        let mut text: String = key.iter().map(|b| format!("{b:02x}")).collect();
        text.push('\n');
        Ok(text)
    }

    /// Identifies the key without revealing it.
    pub fn fingerprint(&self) -> String {
        self.fingerprint
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn seal(&self, compressed: &[u8]) -> Result<Vec<u8>, StoreError> {
        let mut nonce = [0u8; NONCE];
        getrandom::getrandom(&mut nonce).map_err(|e| StoreError::Random(e.to_string()))?;
        let mut header = Vec::with_capacity(SEALED.len() + FINGERPRINT + NONCE);
        header.extend_from_slice(SEALED);
        header.extend_from_slice(&self.fingerprint);
        let ciphertext = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: compressed,
                    aad: &header,
                },
            )
            .map_err(|_| StoreError::Random("the cipher refused to encrypt".into()))?;
        let mut out = header;
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        Ok(out)
    }
}

/// How the raw store's newest value is kept: what new mail must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawSeal {
    /// The archive holds no raw mail yet.
    Empty,
    /// Compressed, not encrypted.
    Plain,
    /// Sealed with the key of this fingerprint.
    Key(String),
}

/// How one stored value is kept.
pub(crate) fn seal_of(stored: &[u8]) -> RawSeal {
    match sealed_with(stored) {
        Some(fp) => RawSeal::Key(fp.iter().map(|b| format!("{b:02x}")).collect()),
        None => RawSeal::Plain,
    }
}

/// A key file's 32 bytes: 64 hexadecimal digits, white space around them
/// ignored.
pub(crate) fn key_bytes(text: &str) -> Option<[u8; 32]> {
    let hex = text.trim();
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(key)
}

/// Whether a stored value is sealed, and with which key's fingerprint.
fn sealed_with(stored: &[u8]) -> Option<&[u8]> {
    stored
        .strip_prefix(SEALED)
        .and_then(|rest| rest.get(..FINGERPRINT))
}

/// Compresses `bytes`, and seals them with `key` if there is one.
pub fn compress_raw(bytes: &[u8], key: Option<&RawKey>) -> Result<CompressedRaw, StoreError> {
    // A compression context per thread, reused: making one per message
    // cost more than compressing a typical message.
    thread_local! {
        static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
            const { std::cell::RefCell::new(None) };
    }
    let compressed = COMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        let compressor = match &mut *slot {
            Some(c) => c,
            None => slot.insert(zstd::bulk::Compressor::new(LEVEL).map_err(StoreError::Compress)?),
        };
        compressor.compress(bytes).map_err(StoreError::Compress)
    })?;
    match key {
        Some(k) => k.seal(&compressed).map(CompressedRaw),
        None => Ok(CompressedRaw(compressed)),
    }
}

/// The compressed bytes of a stored value, opened with whichever of
/// `keys` sealed it.
fn unseal(id: i64, stored: &[u8], keys: &[RawKey]) -> Result<Vec<u8>, StoreError> {
    let Some(fingerprint) = sealed_with(stored) else {
        return Ok(stored.to_vec());
    };
    let hex: String = fingerprint.iter().map(|b| format!("{b:02x}")).collect();
    let key = keys
        .iter()
        .find(|k| k.fingerprint[..] == *fingerprint)
        .ok_or_else(|| StoreError::NoKey {
            id,
            fingerprint: hex.clone(),
        })?;
    let header_len = SEALED.len() + FINGERPRINT;
    let (header, rest) = stored.split_at(header_len);
    if rest.len() < NONCE {
        return Err(StoreError::Tampered { id });
    }
    let (nonce, ciphertext) = rest.split_at(NONCE);
    key.cipher
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: header,
            },
        )
        .map_err(|_| StoreError::Tampered { id })
}

/// The original bytes of a stored value (`size` long, as its row says),
/// opened with whichever of `keys` sealed it: for the fuzz targets; the
/// store reads through [`decompress_raw`], which names the message.
pub fn open_raw(stored: &[u8], size: usize, keys: &[RawKey]) -> Result<Vec<u8>, StoreError> {
    decompress_raw(0, stored, size, keys)
}

/// [`open_raw`] for a value whose size is not known.
pub fn open_raw_unsized(stored: &[u8], keys: &[RawKey]) -> Result<Vec<u8>, StoreError> {
    decompress_raw_unsized(0, stored, keys)
}

/// Compressed bytes that can hold a zstd frame. A frame is never empty: a
/// value cut to nothing is damage, not an empty message (zstd reads no
/// frame as no bytes).
fn frame(id: i64, compressed: Vec<u8>) -> Result<Vec<u8>, StoreError> {
    if compressed.is_empty() {
        return Err(StoreError::CorruptRaw {
            id,
            source: std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the stored value is empty",
            ),
        });
    }
    Ok(compressed)
}

/// The original bytes of a stored value.
pub(crate) fn decompress_raw(
    id: i64,
    stored: &[u8],
    size: usize,
    keys: &[RawKey],
) -> Result<Vec<u8>, StoreError> {
    let compressed = frame(id, unseal(id, stored, keys)?)?;
    zstd::bulk::decompress(&compressed, size.max(1))
        .map_err(|source| StoreError::CorruptRaw { id, source })
}

/// [`decompress_raw`] for bytes whose size is not known (their message
/// row is gone): the compressed frame says how large they are.
pub(crate) fn decompress_raw_unsized(
    id: i64,
    stored: &[u8],
    keys: &[RawKey],
) -> Result<Vec<u8>, StoreError> {
    let compressed = frame(id, unseal(id, stored, keys)?)?;
    zstd::stream::decode_all(&compressed[..])
        .map_err(|source| StoreError::CorruptRaw { id, source })
}

/// A stored value as it should be under `key` (sealed with it, or, with
/// none, only compressed); `None` when it already is.
pub(crate) fn reseal(
    id: i64,
    stored: &[u8],
    keys: &[RawKey],
    key: Option<&RawKey>,
) -> Result<Option<Vec<u8>>, StoreError> {
    let current = sealed_with(stored);
    if current == key.map(|k| &k.fingerprint[..]) {
        return Ok(None);
    }
    let compressed = unseal(id, stored, keys)?;
    match key {
        Some(k) => k.seal(&compressed).map(Some),
        None => Ok(Some(compressed)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(fill: &str) -> RawKey {
        RawKey::from_hex(&fill.repeat(64)).expect("a key")
    }

    /// Found by fuzzing: a value cut to nothing opened as an empty message.
    #[test]
    fn an_empty_stored_value_is_damage_not_an_empty_message() {
        let e = decompress_raw_unsized(7, b"", &[]);
        assert!(
            matches!(e, Err(StoreError::CorruptRaw { id: 7, .. })),
            "{e:?}"
        );
        assert!(decompress_raw(7, b"", 10, &[]).is_err());
    }

    #[test]
    fn sealed_bytes_hide_the_text_and_open_only_with_their_key() {
        let text = b"Subject: secret\r\n\r\nThe PIN is 4711, the PIN is 4711.".repeat(3);
        let (a, b) = (key("a"), key("b"));
        let sealed = compress_raw(&text, Some(&a)).expect("sealed").0;
        assert!(!sealed.windows(4).any(|w| w == b"4711"));
        let opened = decompress_raw(1, &sealed, text.len(), std::slice::from_ref(&a));
        assert_eq!(opened.ok().as_deref(), Some(&text[..]));
        let wrong = decompress_raw(1, &sealed, text.len(), std::slice::from_ref(&b));
        assert!(matches!(wrong, Err(StoreError::NoKey { .. })), "{wrong:?}");

        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        let e = decompress_raw(1, &tampered, text.len(), std::slice::from_ref(&a));
        assert!(matches!(e, Err(StoreError::Tampered { .. })), "{e:?}");

        // Moving to key b, then back to no key at all.
        let keys = [a.clone(), b.clone()];
        let to_b = reseal(1, &sealed, &keys, Some(&b))
            .expect("reseal")
            .expect("changed");
        assert_eq!(reseal(1, &to_b, &keys, Some(&b)).expect("reseal"), None);
        let plain = reseal(1, &to_b, &keys, None)
            .expect("reseal")
            .expect("changed");
        assert_eq!(
            decompress_raw(1, &plain, text.len(), &[]).ok().as_deref(),
            Some(&text[..])
        );
    }

    #[test]
    fn key_files_are_64_hex_digits_and_never_printed() {
        assert!(RawKey::from_hex("abc").is_none());
        assert!(RawKey::from_hex(&"g".repeat(64)).is_none());
        let text = RawKey::generate_hex().expect("random");
        let k = RawKey::from_hex(&text).expect("a generated key reads back");
        assert!(!format!("{k:?}").contains(text.trim()));
        assert_eq!(k.fingerprint().len(), 16);
    }
}
