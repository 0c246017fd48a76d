use crate::StoreError;

/// A message's original bytes, compressed for the raw store. Made with
/// [`compress_raw`] off the store's task (it costs CPU), stored as is.
#[derive(Debug, Clone)]
pub struct CompressedRaw(pub(crate) Vec<u8>);

const LEVEL: i32 = 3;

pub fn compress_raw(bytes: &[u8]) -> Result<CompressedRaw, StoreError> {
    // A compression context per thread, reused: making one per message
    // cost more than compressing a typical message.
    thread_local! {
        static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
            const { std::cell::RefCell::new(None) };
    }
    COMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        let compressor = match &mut *slot {
            Some(c) => c,
            None => slot.insert(zstd::bulk::Compressor::new(LEVEL).map_err(StoreError::Compress)?),
        };
        compressor
            .compress(bytes)
            .map(CompressedRaw)
            .map_err(StoreError::Compress)
    })
}

pub(crate) fn decompress_raw(
    id: i64,
    compressed: &[u8],
    size: usize,
) -> Result<Vec<u8>, StoreError> {
    zstd::bulk::decompress(compressed, size.max(1))
        .map_err(|source| StoreError::CorruptRaw { id, source })
}
