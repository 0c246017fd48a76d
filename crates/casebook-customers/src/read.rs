//! Bytes of a list file to records: encoding, separator, header, rows.

use crate::address::normalize_address;
use crate::columns::{ColumnChoice, Layout};
use crate::CustomersError;
use std::collections::HashSet;

/// One row of a list, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRecord {
    /// Where the row starts in the file (from 1, the header is line 1).
    pub line: u64,
    /// Normalised (see [`normalize_address`]).
    pub address: String,
    pub name: Option<String>,
    pub company: Option<String>,
    pub account: Option<String>,
    /// Every column of the row as (header, value), empty ones left out.
    pub fields: Vec<(String, String)>,
}

impl CustomerRecord {
    /// The part of the address after the `@`.
    pub fn domain(&self) -> &str {
        self.address.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

/// A row that gave no record, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub line: u64,
    pub reason: String,
}

/// What a list file held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListFile {
    pub records: Vec<CustomerRecord>,
    /// Rows without a usable address.
    pub problems: Vec<RowProblem>,
    /// Rows repeating an earlier row exactly (same address, name, company
    /// and account), left out.
    pub duplicates: u64,
    /// `UTF-8` or `Windows-1252` (Latin-1).
    pub encoding: &'static str,
    pub separator: char,
    /// The header row (`column 1`, … for a file without one).
    pub headers: Vec<String>,
}

/// Text of the file: UTF-8 (a byte-order mark is dropped) if it is valid
/// UTF-8, else Windows-1252, the superset of Latin-1 spreadsheets write.
/// NUL characters become U+FFFD: no database text column holds them.
/// The file's bytes become its text in place when they are UTF-8 (no
/// second copy of a large list).
fn decode_owned(mut bytes: Vec<u8>) -> (String, &'static str) {
    if bytes.starts_with(b"\xef\xbb\xbf") {
        bytes.drain(..3);
    }
    let (text, encoding) = match String::from_utf8(bytes) {
        Ok(s) => (s, "UTF-8"),
        Err(e) => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(e.as_bytes());
            (text.into_owned(), "Windows-1252")
        }
    };
    if text.contains('\0') {
        (text.replace('\0', "\u{FFFD}"), encoding)
    } else {
        (text, encoding)
    }
}

/// The separator of the first line, counted outside quotes: the most
/// frequent of `,` `;` and tab (`,` when none occurs).
fn separator(text: &str) -> char {
    let mut counts = [(',', 0usize), (';', 0), ('\t', 0)];
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' if !quoted => break,
            _ if !quoted => {
                for (sep, n) in &mut counts {
                    if c == *sep {
                        *n += 1;
                    }
                }
            }
            _ => {}
        }
    }
    counts
        .iter()
        .max_by_key(|(sep, n)| (*n, *sep == ','))
        .map_or(',', |(sep, _)| *sep)
}

/// Line numbers as a text editor shows them. The CSV reader's own count
/// lags behind after CRLF line ends and blank lines, so lines are counted
/// here from the byte where a record starts (past the line ends before it).
#[derive(Default)]
struct LineCounter {
    offset: usize,
    line: u64,
}

impl LineCounter {
    fn line_at(&mut self, text: &[u8], start: u64) -> u64 {
        let mut start = usize::try_from(start).unwrap_or(usize::MAX).min(text.len());
        while start < text.len() && matches!(text[start], b'\r' | b'\n') {
            start += 1;
        }
        if start < self.offset {
            self.offset = 0;
            self.line = 0;
        }
        self.line += text[self.offset..start]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        self.offset = start;
        self.line + 1
    }
}

fn cell(row: &csv::StringRecord, index: Option<usize>) -> Option<String> {
    index
        .and_then(|i| row.get(i))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Reads a list whole; `choices` (from `--column`) win over the header
/// names. A file whose first row holds an address has no header row. (An
/// import reads it in pages instead: [`ListReader`].)
pub fn read_list(bytes: &[u8], choices: &[ColumnChoice]) -> Result<ListFile, CustomersError> {
    let mut reader = ListReader::open(bytes.to_vec(), choices)?;
    let mut records = Vec::new();
    loop {
        let page = reader.next_records(1_000)?;
        if page.is_empty() {
            break;
        }
        records.extend(page);
    }
    Ok(ListFile {
        records,
        duplicates: reader.duplicates,
        encoding: reader.encoding,
        separator: reader.separator,
        problems: reader.problems,
        headers: reader.headers,
    })
}

/// A list file read a page of records at a time: what it holds is the
/// file's text and a 32-byte digest per record read (to leave out rows
/// repeating an earlier one), not the records.
pub struct ListReader {
    reader: csv::Reader<std::io::Cursor<Vec<u8>>>,
    /// A first row that was a record, not a header.
    pending: Option<csv::StringRecord>,
    layout: Layout,
    email_column: usize,
    lines: LineCounter,
    seen: HashSet<casebook_vocabulary::Sha256>,
    /// Rows without a usable address.
    pub problems: Vec<RowProblem>,
    /// Rows repeating an earlier row exactly, left out.
    pub duplicates: u64,
    /// `UTF-8` or `Windows-1252` (Latin-1).
    pub encoding: &'static str,
    pub separator: char,
    /// The header row (`column 1`, … for a file without one).
    pub headers: Vec<String>,
}

fn csv_error(e: csv::Error) -> CustomersError {
    CustomersError::Csv {
        line: e.position().map_or(0, |p| p.line()),
        reason: e.to_string(),
    }
}

impl ListReader {
    /// Reads the file's header (or first row) and works out its columns;
    /// `choices` (from `--column`) win over the header names.
    pub fn open(bytes: Vec<u8>, choices: &[ColumnChoice]) -> Result<Self, CustomersError> {
        let (text, encoding) = decode_owned(bytes);
        let separator = separator(&text);
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(separator as u8)
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::None)
            .from_reader(std::io::Cursor::new(text.into_bytes()));
        let first = reader
            .records()
            .next()
            .ok_or(CustomersError::Empty)?
            .map_err(csv_error)?;
        let first_has_address = first.iter().any(|c| normalize_address(c).is_some());
        let (headers, pending) = if first_has_address {
            let headers: Vec<String> = (1..=first.len()).map(|n| format!("column {n}")).collect();
            (headers, Some(first))
        } else {
            (first.iter().map(|h| h.trim().to_owned()).collect(), None)
        };
        let mut layout = if pending.is_some() {
            Layout {
                email: pending
                    .as_ref()
                    .and_then(|r| r.iter().position(|c| normalize_address(c).is_some())),
                ..Layout::default()
            }
        } else {
            Layout::from_headers(&headers)
        };
        layout.choose(choices, &headers)?;
        let Some(email_column) = layout.email else {
            return Err(CustomersError::NoEmailColumn {
                headers: headers.join(", "),
            });
        };
        Ok(Self {
            reader,
            pending,
            layout,
            email_column,
            lines: LineCounter::default(),
            seen: HashSet::new(),
            problems: Vec::new(),
            duplicates: 0,
            encoding,
            separator,
            headers,
        })
    }

    /// Up to `limit` more records, in the file's order; none at its end.
    pub fn next_records(&mut self, limit: usize) -> Result<Vec<CustomerRecord>, CustomersError> {
        let mut out = Vec::new();
        let mut row = csv::StringRecord::new();
        while out.len() < limit {
            match self.pending.take() {
                Some(first) => row = first,
                None => {
                    if !self.reader.read_record(&mut row).map_err(csv_error)? {
                        break;
                    }
                }
            }
            let start = row.position().map_or(0, |p| p.byte());
            let line = self.lines.line_at(self.reader.get_ref().get_ref(), start);
            if let Some(record) = self.record_of(&row, line) {
                out.push(record);
            }
        }
        Ok(out)
    }

    /// The record a row makes, or `None` for a blank row, a row without an
    /// address (noted in `problems`) or a repeated one (counted).
    fn record_of(&mut self, row: &csv::StringRecord, line: u64) -> Option<CustomerRecord> {
        if row.iter().all(|c| c.trim().is_empty()) {
            return None;
        }
        let raw = row.get(self.email_column).unwrap_or("").trim();
        let Some(address) = normalize_address(raw) else {
            self.problems.push(RowProblem {
                line,
                reason: if raw.is_empty() {
                    "no e-mail address".to_owned()
                } else {
                    format!("{raw:?} is not an e-mail address")
                },
            });
            return None;
        };
        let layout = &self.layout;
        let name = cell(row, layout.name).or_else(|| {
            let parts: Vec<String> = [layout.first_name, layout.last_name]
                .into_iter()
                .filter_map(|i| cell(row, i))
                .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        });
        let record = CustomerRecord {
            line,
            name,
            company: cell(row, layout.company),
            account: cell(row, layout.account),
            fields: self
                .headers
                .iter()
                .zip(row.iter())
                .filter(|(_, v)| !v.trim().is_empty())
                .map(|(h, v)| (h.clone(), v.trim().to_owned()))
                .collect(),
            address,
        };
        // A digest of what makes a row the same, not a copy of it.
        let mut identity = Vec::new();
        for part in [
            Some(&record.address),
            record.name.as_ref(),
            record.company.as_ref(),
            record.account.as_ref(),
        ] {
            identity.extend_from_slice(part.map_or("\u{1}", |p| p.as_str()).as_bytes());
            identity.push(0);
        }
        if self.seen.insert(casebook_vocabulary::Sha256::of(&identity)) {
            Some(record)
        } else {
            self.duplicates += 1;
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messy_exports_read_the_same() {
        let files: [&[u8]; 4] = [
            b"\xef\xbb\xbfEmail,Name,Company\r\n  ANN@ACME.example  , Ann Lee ,\"ACME, Inc.\"\r\n\r\nbob@beta.example,Bob,Beta\r\n",
            b"E-mail;Full Name;Organisation\nann@acme.example;Ann Lee;ACME, Inc.\n;Nobody;Nowhere\nbob@beta.example;Bob;Beta\nann@acme.example;Ann Lee;ACME, Inc.\n",
            b"mail\tname\torg\nann@acme.example\tAnn Lee\tACME, Inc.\nbob@beta.example\tBob\tBeta\n",
            b"Email Address,Contact Name,Organization\nann@acme.example,\"Ann\nLee\",\"ACME, Inc.\"\nbob@beta.example,Bob,Beta\n",
        ];
        for bytes in files {
            let list = read_list(bytes, &[]).expect("readable");
            let got: Vec<(&str, Option<&str>)> = list
                .records
                .iter()
                .map(|r| (r.address.as_str(), r.company.as_deref()))
                .collect();
            assert_eq!(
                got,
                [
                    ("ann@acme.example", Some("ACME, Inc.")),
                    ("bob@beta.example", Some("Beta"))
                ],
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
        let semicolons = read_list(files[1], &[]).expect("readable");
        assert_eq!(semicolons.duplicates, 1);
        assert_eq!(
            semicolons.problems,
            [RowProblem {
                line: 3,
                reason: "no e-mail address".into()
            }]
        );
        let crlf = read_list(
            b"h;email\r\na;a@b.example\r\n\r\nb;b@b.example\r\nc;\"x\r\ny\"\r\nd;d@b.example\r\n",
            &[],
        )
        .expect("readable");
        let lines: Vec<u64> = crlf.records.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 4, 7], "lines as an editor counts them");
        let newline = read_list(files[3], &[]).expect("readable");
        assert_eq!(newline.records[0].name.as_deref(), Some("Ann\nLee"));
        assert_eq!(newline.records[1].line, 4, "a quoted line break is one row");
    }

    #[test]
    fn nul_characters_do_not_reach_the_records() {
        let list = read_list(b"email,name\nann@acme.example,Ann\0Lee\n", &[]).expect("readable");
        assert_eq!(list.records[0].name.as_deref(), Some("Ann\u{FFFD}Lee"));
    }

    #[test]
    fn latin1_and_files_without_a_header() {
        let list = read_list(
            b"Email;Soci\xe9t\xe9\njos\xe9@caf\xe9.example;Caf\xe9 Noir\n",
            &[],
        )
        .expect("readable");
        assert_eq!(list.encoding, "Windows-1252");
        assert_eq!(list.records[0].address, "jos\u{e9}@xn--caf-dma.example");
        assert_eq!(list.records[0].company.as_deref(), Some("Caf\u{e9} Noir"));

        let bare =
            read_list(b"Ann Lee,ann@acme.example\nBob,bob@beta.example\n", &[]).expect("readable");
        assert_eq!(bare.records.len(), 2, "the first row is data");
        assert_eq!(bare.records[0].line, 1);
    }

    #[test]
    fn an_unknown_header_asks_for_the_column() {
        let e = read_list(b"Kontakt,Firma\nann@acme.example-not,ACME\n", &[])
            .expect_err("no email column")
            .to_string();
        assert!(
            e.contains("Kontakt, Firma") && e.contains("--column email="),
            "{e}"
        );
        let list = read_list(
            b"Kontakt,Firma\nAnn <ann@acme.example>,ACME\n",
            &[ColumnChoice::parse("email=1").expect("valid")],
        );
        assert_eq!(
            list.map(|l| l.records[0].address.clone()).ok().as_deref(),
            Some("ann@acme.example")
        );
    }
}
