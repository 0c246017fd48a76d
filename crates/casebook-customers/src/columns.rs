//! Which column holds what: header names in the spellings CRMs and
//! spreadsheets use, or the user's `--column FIELD=N|Header`.

use crate::CustomersError;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Email,
    Name,
    Company,
    /// The CRM's account or customer id.
    Account,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Name => "name",
            Self::Company => "company",
            Self::Account => "account",
        }
    }
}

/// A column named by its number (from 1, as spreadsheets count) or its
/// header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnRef {
    Number(usize),
    Header(String),
}

/// The user's word on where a field is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnChoice {
    pub field: Field,
    pub column: ColumnRef,
}

impl ColumnChoice {
    /// Reads `email=3` or `company=Organisation`.
    pub fn parse(arg: &str) -> Result<Self, CustomersError> {
        let bad = || CustomersError::BadColumnArg(arg.to_owned());
        let (field, column) = arg.split_once('=').ok_or_else(bad)?;
        let field = match key(field).as_str() {
            "email" | "mail" | "emailaddress" => Field::Email,
            "name" => Field::Name,
            "company" | "organisation" | "organization" => Field::Company,
            "account" | "accountid" => Field::Account,
            _ => return Err(bad()),
        };
        let column = column.trim().trim_matches('"');
        if column.is_empty() {
            return Err(bad());
        }
        let column = match column.parse::<usize>() {
            Ok(0) => return Err(bad()),
            Ok(n) => ColumnRef::Number(n),
            Err(_) => ColumnRef::Header(column.to_owned()),
        };
        Ok(Self { field, column })
    }
}

/// A header reduced to letters and digits, lower-case: "E-Mail Address"
/// and "email_address" are the same key.
pub(crate) fn key(header: &str) -> String {
    header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

const EMAIL: &[&str] = &[
    "email",
    "emailaddress",
    "emailaddr",
    "mail",
    "mailaddress",
    "primaryemail",
    "workemail",
    "businessemail",
    "contactemail",
    "emailadresse",
    "courriel",
    "adressemail",
    "correo",
    "correoelectronico",
];
const NAME: &[&str] = &[
    "name",
    "fullname",
    "contactname",
    "displayname",
    "customername",
    "contact",
    "nom",
    "nombre",
];
const FIRST_NAME: &[&str] = &[
    "firstname",
    "givenname",
    "forename",
    "vorname",
    "prenom",
    "prénom",
];
const LAST_NAME: &[&str] = &["lastname", "surname", "familyname", "nachname"];
const COMPANY: &[&str] = &[
    "company",
    "companyname",
    "organisation",
    "organization",
    "organisationname",
    "organizationname",
    "org",
    "account",
    "accountname",
    "firma",
    "unternehmen",
    "societe",
    "société",
    "empresa",
    "business",
];
const ACCOUNT: &[&str] = &[
    "accountid",
    "accountnumber",
    "accountno",
    "customerid",
    "customernumber",
    "customerno",
    "clientid",
    "crmid",
    "kundennummer",
];

/// Where each field is in a row; names may be split in two columns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Layout {
    pub(crate) email: Option<usize>,
    pub(crate) name: Option<usize>,
    pub(crate) first_name: Option<usize>,
    pub(crate) last_name: Option<usize>,
    pub(crate) company: Option<usize>,
    pub(crate) account: Option<usize>,
}

impl Layout {
    /// The layout a header row's names give.
    pub(crate) fn from_headers(headers: &[String]) -> Self {
        let find = |names: &[&str]| {
            headers
                .iter()
                .position(|h| names.contains(&key(h).as_str()))
        };
        Self {
            email: find(EMAIL),
            name: find(NAME),
            first_name: find(FIRST_NAME),
            last_name: find(LAST_NAME),
            company: find(COMPANY),
            account: find(ACCOUNT),
        }
    }

    /// Applies the user's choices, which win over the headers.
    pub(crate) fn choose(
        &mut self,
        choices: &[ColumnChoice],
        headers: &[String],
    ) -> Result<(), CustomersError> {
        for c in choices {
            let index = match &c.column {
                ColumnRef::Number(n) if *n <= headers.len() => Some(n - 1),
                ColumnRef::Number(_) => None,
                ColumnRef::Header(h) => headers
                    .iter()
                    .position(|x| x.trim() == h.trim())
                    .or_else(|| headers.iter().position(|x| key(x) == key(h))),
            };
            let index = index.ok_or_else(|| CustomersError::NoSuchColumn {
                field: c.field.as_str(),
                column: match &c.column {
                    ColumnRef::Number(n) => n.to_string(),
                    ColumnRef::Header(h) => format!("{h:?}"),
                },
                count: headers.len(),
                headers: headers.join(", "),
            })?;
            match c.field {
                Field::Email => self.email = Some(index),
                Field::Name => {
                    self.name = Some(index);
                    self.first_name = None;
                    self.last_name = None;
                }
                Field::Company => self.company = Some(index),
                Field::Account => self.account = Some(index),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn header_spellings_of_crms_and_spreadsheets() {
        for row in [
            &["Email", "Name", "Company", "Account ID"][..],
            &["E-mail", "Full Name", "Organisation", "Customer ID"],
            &[
                "Email Address",
                "Contact Name",
                "Organization",
                "account_id",
            ],
            &["mail", "Display Name", "Account Name", "Kundennummer"],
        ] {
            let l = Layout::from_headers(&headers(row));
            assert_eq!(
                (l.email, l.name, l.company, l.account),
                (Some(0), Some(1), Some(2), Some(3)),
                "{row:?}"
            );
        }
        let split = Layout::from_headers(&headers(&["First Name", "Last Name", "E-Mail-Adresse"]));
        assert_eq!(
            (split.first_name, split.last_name, split.email),
            (Some(0), Some(1), Some(2))
        );
    }

    #[test]
    fn column_arguments_by_number_or_header() {
        assert_eq!(
            ColumnChoice::parse("email=3").ok(),
            Some(ColumnChoice {
                field: Field::Email,
                column: ColumnRef::Number(3)
            })
        );
        assert_eq!(
            ColumnChoice::parse("company=\"Firm\"").ok(),
            Some(ColumnChoice {
                field: Field::Company,
                column: ColumnRef::Header("Firm".into())
            })
        );
        for bad in ["email", "email=0", "phone=2", "email="] {
            assert!(ColumnChoice::parse(bad).is_err(), "{bad}");
        }
        let mut l = Layout::default();
        let e = l
            .choose(
                &[ColumnChoice::parse("email=4").expect("valid")],
                &headers(&["a", "b"]),
            )
            .expect_err("out of range")
            .to_string();
        assert!(e.contains("the file has 2 columns (a, b)"), "{e}");
    }
}
