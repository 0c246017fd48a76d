//! Customer and subscription lists as CRMs and spreadsheets export them,
//! read into normalised records: comma, semicolon or tab separated
//! (detected), UTF-8 with or without a byte-order mark or Latin-1
//! (Windows-1252), quoted fields with separators and line breaks, header
//! names in many spellings or columns named by the user.
//!
//! ```
//! let list = casebook_customers::read_list(
//!     b"\xef\xbb\xbfE-Mail;Full Name;Organisation\r\n ANN@Example.COM ;Ann Lee;\"ACME; Telecom\"\r\n",
//!     &[],
//! ).unwrap();
//! assert_eq!(list.records[0].address, "ann@example.com");
//! assert_eq!(list.records[0].company.as_deref(), Some("ACME; Telecom"));
//! ```
//!
//! Architecture invariant: no I/O; bytes in, records and row problems
//! out. A row without a usable address is reported with its line, never
//! dropped silently.

mod address;
mod columns;
mod read;

pub use address::{is_free_mail, normalize_address, FREE_MAIL_DOMAINS};
pub use columns::{ColumnChoice, ColumnRef, Field};
pub use read::{read_list, CustomerRecord, ListFile, ListReader, RowProblem};

#[derive(Debug, thiserror::Error)]
pub enum CustomersError {
    #[error("cannot tell which column holds the e-mail address (the header row has: {headers}); say which with --column email=N (N counts from 1) or --column email=\"Header name\"")]
    NoEmailColumn { headers: String },
    #[error("--column {0:?} is not usable: write FIELD=N or FIELD=\"Header\", where FIELD is email, name, company or account")]
    BadColumnArg(String),
    #[error("--column {field}={column} names no column: the file has {count} columns ({headers})")]
    NoSuchColumn {
        field: &'static str,
        column: String,
        count: usize,
        headers: String,
    },
    #[error("the file is not readable as CSV at line {line}: {reason}")]
    Csv { line: u64, reason: String },
    #[error("the file is empty")]
    Empty,
}
