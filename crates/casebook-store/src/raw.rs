use crate::StoreError;

/// A message's original bytes, compressed for the raw store. Made with
/// [`compress_raw`] off the store's task (it costs CPU), stored as is.
#[derive(Debug, Clone)]
pub struct CompressedRaw(pub(crate) Vec<u8>);

const LEVEL: i32 = 3;

pub fn compress_raw(bytes: &[u8]) -> Result<CompressedRaw, StoreError> {
    zstd::bulk::compress(bytes, LEVEL)
        .map(CompressedRaw)
        .map_err(StoreError::Compress)
}

pub(crate) fn decompress_raw(
    id: i64,
    compressed: &[u8],
    size: usize,
) -> Result<Vec<u8>, StoreError> {
    zstd::bulk::decompress(compressed, size.max(1))
        .map_err(|source| StoreError::CorruptRaw { id, source })
}
