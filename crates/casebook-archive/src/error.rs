#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error(transparent)]
    Store(#[from] casebook_store::StoreError),
    #[error(transparent)]
    Search(#[from] casebook_search::SearchError),
    #[error("cannot parse the query {query:?} {source}")]
    Query {
        query: String,
        #[source]
        source: casebook_search::QueryError,
    },
    #[error("the import pipeline stopped: {0}")]
    Pipeline(String),
}
