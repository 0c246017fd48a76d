//! Customer and partner lists: importing CRM and spreadsheet exports,
//! matching correspondents against them (by address, or by the company
//! domain of a customer's address — never a free-mail provider's), and the
//! export for a partner, which leaves out everyone who objected to
//! disclosure.

use crate::audit::{about, entry, now};
use crate::privacy::address_arg;
use crate::{Archive, ArchiveError};
use casebook_customers::{is_free_mail, normalize_address, ColumnChoice, ListReader, RowProblem};
use casebook_store::AuditSubject;
use casebook_store::{
    Correction, CustomerList, CustomerRecordRow, NewCustomerList, NewCustomerRecord,
};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// How to import a list file.
#[derive(Debug, Clone)]
pub struct CustomerImport {
    /// The list's name (`customer:NAME` in searches).
    pub list: String,
    /// The business partner whose list it is; `None`: ours.
    pub partner: Option<String>,
    /// Where fields are, when the header does not say.
    pub columns: Vec<ColumnChoice>,
    /// Add to the list instead of replacing it.
    pub merge: bool,
    pub actor: String,
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct CustomerImportReport {
    pub list: String,
    /// Records read from the file.
    pub records: u64,
    /// Records added to the list (with `merge`, those it did not hold).
    pub stored: u64,
    pub duplicates: u64,
    /// Rows of erased persons, left out.
    pub erased: u64,
    /// Rows without a usable address, with their line.
    pub problems: Vec<RowProblem>,
    pub encoding: &'static str,
    pub separator: char,
}

/// How a correspondent matched a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MatchKind {
    /// The same address.
    Exact,
    /// The same company domain.
    Domain,
}

impl MatchKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::Domain => "domain",
        }
    }
}

/// A correspondent found on a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerMatch {
    pub correspondent: String,
    pub kind: MatchKind,
    pub record: CustomerRecordRow,
    /// For a domain match: how many records of the list share the domain.
    pub records_with_domain: u64,
}

/// Every correspondent's matches, and who matched nothing.
#[derive(Debug, Clone, Default)]
pub struct MatchReport {
    pub matches: Vec<CustomerMatch>,
    pub unmatched: Vec<String>,
    /// (list, kind) → correspondents matched so.
    pub summary: BTreeMap<(String, MatchKind), u64>,
}

/// What a partner may receive, and how many were left out.
#[derive(Debug, Clone)]
pub struct PartnerExport {
    pub partner: String,
    pub matches: Vec<CustomerMatch>,
    /// Correspondents matched on the partner's lists who objected to
    /// disclosure.
    pub withheld: u64,
}

/// Matches as the CSV a partner or a spreadsheet receives: the
/// correspondent, how and where they matched, and the record's name,
/// company, account and address.
pub fn matches_csv(matches: &[CustomerMatch]) -> String {
    use crate::view::csv_field as field;
    let mut out = String::from("email,kind,list,name,company,account,record_email\n");
    for m in matches {
        let r = &m.record;
        let row = [
            field(&m.correspondent),
            m.kind.as_str().to_owned(),
            field(&r.list),
            field(r.name.as_deref().unwrap_or("")),
            field(r.company.as_deref().unwrap_or("")),
            field(r.account.as_deref().unwrap_or("")),
            field(&r.address),
        ];
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

/// A list name: 1 to 64 letters, digits or `- _ .`.
fn list_name(raw: &str) -> Result<String, ArchiveError> {
    let name = raw.trim();
    if name.is_empty()
        || name.chars().count() > 64
        || !name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(ArchiveError::Refused(format!(
            "{raw:?} is not a list name: use 1 to 64 letters, digits or - _ . (it is searched as customer:NAME)"
        )));
    }
    Ok(name.to_owned())
}

fn domain_of(address: &str) -> &str {
    address.rsplit_once('@').map_or("", |(_, d)| d)
}

impl Archive {
    /// Whether a domain may match by domain: not a free-mail provider's,
    /// not ours.
    fn company_domain(&self, domain: &str) -> bool {
        !domain.is_empty()
            && !is_free_mail(domain, &self.config.free_mail_domains)
            && !self.config.our_domains.iter().any(|d| d == domain)
    }

    /// Matches of these correspondents (normalised addresses), on `list`
    /// or every list: exact first, then by domain where the list has no
    /// exact match for them.
    pub(crate) async fn matches_for(
        &self,
        correspondents: &[String],
        list: Option<&str>,
    ) -> Result<Vec<CustomerMatch>, ArchiveError> {
        let on_list = |r: &CustomerRecordRow| list.is_none_or(|l| r.list == l);
        let mut exact: HashMap<String, Vec<CustomerRecordRow>> = HashMap::new();
        for r in self.store.customer_records_at(correspondents).await? {
            if on_list(&r) {
                exact.entry(r.address.clone()).or_default().push(r);
            }
        }
        let domains: Vec<String> = correspondents
            .iter()
            .map(|c| domain_of(c))
            .filter(|d| self.company_domain(d))
            .map(str::to_owned)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut by_domain: HashMap<String, Vec<(CustomerRecordRow, u64)>> = HashMap::new();
        for m in self.store.customer_domains(&domains).await? {
            if on_list(&m.first) {
                by_domain
                    .entry(m.first.domain.clone())
                    .or_default()
                    .push((m.first, m.records));
            }
        }
        // Matches a person had corrected away.
        let excluded = self.store.list_exclusions().await?;
        let mut out = Vec::new();
        for c in correspondents {
            let mine = exact.get(c.as_str());
            for r in mine.into_iter().flatten() {
                out.push(CustomerMatch {
                    correspondent: c.clone(),
                    kind: MatchKind::Exact,
                    record: r.clone(),
                    records_with_domain: 0,
                });
            }
            let exact_lists: HashSet<&str> = mine
                .into_iter()
                .flatten()
                .map(|r| r.list.as_str())
                .collect();
            for (r, n) in by_domain.get(domain_of(c)).into_iter().flatten() {
                if !exact_lists.contains(r.list.as_str()) {
                    out.push(CustomerMatch {
                        correspondent: c.clone(),
                        kind: MatchKind::Domain,
                        record: r.clone(),
                        records_with_domain: *n,
                    });
                }
            }
        }
        out.retain(|m| !excluded.contains(&(m.correspondent.clone(), m.record.list.clone())));
        out.sort_by(|a, b| {
            (&a.correspondent, a.kind, &a.record.list, a.record.id).cmp(&(
                &b.correspondent,
                b.kind,
                &b.record.list,
                b.record.id,
            ))
        });
        Ok(out)
    }

    async fn check_list(&self, list: Option<&str>) -> Result<(), ArchiveError> {
        if let Some(name) = list {
            if !self
                .store
                .customer_lists()
                .await?
                .iter()
                .any(|l| l.name == name)
            {
                return Err(ArchiveError::NotFound(format!(
                    "there is no customer list {name:?}; `casebook customers lists` shows them"
                )));
            }
        }
        Ok(())
    }

    /// Domains whose addresses say nothing about a company (free mail,
    /// and our own): a customer record's domain there matches no one else.
    pub(crate) fn free_mail(&self) -> Vec<String> {
        let mut free: Vec<String> = casebook_customers::FREE_MAIL_DOMAINS
            .iter()
            .map(|d| (*d).to_owned())
            .collect();
        free.extend(self.config.free_mail_domains.iter().cloned());
        free.extend(self.config.our_domains.iter().cloned());
        free
    }
}

/// Records read from a list file and stored per page.
const RECORDS_PER_PAGE: usize = 5_000;

/// A record of a list file as the store keeps it.
fn new_record(r: casebook_customers::CustomerRecord) -> NewCustomerRecord {
    let fields = serde_json::Value::Object(
        r.fields
            .into_iter()
            .map(|(k, v)| (k, serde_json::Value::String(v)))
            .collect(),
    )
    .to_string();
    NewCustomerRecord {
        line: r.line as i64,
        domain: r.address.rsplit_once('@').map_or("", |(_, d)| d).to_owned(),
        address: r.address,
        name: r.name,
        company: r.company,
        account: r.account,
        fields,
    }
}

/// Customers, one feature's handle on the archive (`archive.customers()`):
/// our and our partners' customer and subscription lists, matching
/// correspondents against them, the persons several addresses make, and
/// corrections a person asked for.
pub struct Customers<'a> {
    pub(crate) archive: &'a Archive,
}

impl Archive {
    /// This archive's [`Customers`].
    pub fn customers(&self) -> Customers<'_> {
        Customers { archive: self }
    }
}

impl Customers<'_> {
    /// Imports the list file at `path` (replacing the list unless
    /// `merge`), audited.
    pub async fn import(
        &self,
        path: &Path,
        import: &CustomerImport,
    ) -> Result<CustomerImportReport, ArchiveError> {
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|source| ArchiveError::File {
                action: "read",
                path: path.to_owned(),
                source,
            })?;
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        self.archive
            .customers()
            .import_bytes(&name, bytes, import)
            .await
    }

    /// Imports a list file's bytes (an upload); `file_name` is kept as the
    /// list's source and names the file in errors. The file is read and
    /// stored a page of records at a time, in one transaction: what is
    /// held is the file's text and a digest per record, not the records.
    pub async fn import_bytes(
        &self,
        file_name: &str,
        bytes: Vec<u8>,
        import: &CustomerImport,
    ) -> Result<CustomerImportReport, ArchiveError> {
        let list = list_name(&import.list)?;
        let refused = |e: casebook_customers::CustomersError| {
            ArchiveError::Refused(format!("{file_name}: {e}"))
        };
        let mut file = ListReader::open(bytes, &import.columns).map_err(refused)?;
        let erased = self.archive.erased_filter().await?;
        let source_file = file_name.to_owned();
        let partner = import
            .partner
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned);
        let mut write = self
            .archive
            .store
            .begin_customer_list(
                &NewCustomerList {
                    name: list.clone(),
                    partner: partner.clone(),
                    source_file: source_file.clone(),
                    imported_at: now(),
                    imported_by: import.actor.clone(),
                },
                import.merge,
            )
            .await?;
        let (mut read, mut kept) = (0u64, 0u64);
        loop {
            let page = file.next_records(RECORDS_PER_PAGE).map_err(refused)?;
            if page.is_empty() {
                break;
            }
            read += page.len() as u64;
            let records: Vec<NewCustomerRecord> = page
                .into_iter()
                .filter(|r| !erased.is_erased_address(&r.address))
                .map(new_record)
                .collect();
            kept += records.len() as u64;
            write.add(&records).await?;
        }
        let audit = entry(
            &import.actor,
            "customers-import",
            AuditSubject::List(&list),
            serde_json::json!({
                "file": source_file,
                "partner": partner,
                "merge": import.merge,
                "records": kept,
                "problems": file.problems.len(),
            }),
        );
        let stored = write.finish(&audit).await?;
        Ok(CustomerImportReport {
            list,
            records: kept,
            stored,
            duplicates: file.duplicates,
            erased: read - kept,
            problems: std::mem::take(&mut file.problems),
            encoding: file.encoding,
            separator: file.separator,
        })
    }

    pub async fn lists(&self) -> Result<Vec<CustomerList>, ArchiveError> {
        Ok(self.archive.store.customer_lists().await?)
    }

    /// Every correspondent's matches on `list` (or every list), with the
    /// unmatched and counts per list and kind.
    pub async fn matches(&self, list: Option<&str>) -> Result<MatchReport, ArchiveError> {
        self.archive.check_list(list).await?;
        let correspondents: Vec<String> = self
            .archive
            .store
            .correspondents()
            .await?
            .iter()
            .filter_map(|c| normalize_address(c))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut report = MatchReport::default();
        for chunk in correspondents.chunks(5000) {
            let matches = self.archive.matches_for(chunk, list).await?;
            let matched: HashSet<&str> = matches.iter().map(|m| m.correspondent.as_str()).collect();
            report.unmatched.extend(
                chunk
                    .iter()
                    .filter(|c| !matched.contains(c.as_str()))
                    .cloned(),
            );
            let mut counted = HashSet::new();
            for m in &matches {
                if counted.insert((m.correspondent.clone(), m.record.list.clone(), m.kind)) {
                    *report
                        .summary
                        .entry((m.record.list.clone(), m.kind))
                        .or_default() += 1;
                }
            }
            report.matches.extend(matches);
        }
        Ok(report)
    }

    /// What the lists know of a person (every address of theirs).
    pub async fn matches_of(&self, address: &str) -> Result<Vec<CustomerMatch>, ArchiveError> {
        let Some(address) = normalize_address(address) else {
            return Ok(Vec::new());
        };
        let addresses = self.archive.store.person_addresses(&address).await?;
        self.archive.matches_for(&addresses, None).await
    }

    /// The correspondents matched on `partner`'s lists that may go to the
    /// partner: everyone but those (as a whole person) who objected.
    /// Recorded in the audit log with counts, never addresses.
    pub async fn export_for_partner(
        &self,
        partner: &str,
        actor: &str,
    ) -> Result<PartnerExport, ArchiveError> {
        let partner = partner.trim();
        let lists: Vec<String> = self
            .archive
            .store
            .customer_lists()
            .await?
            .into_iter()
            .filter(|l| l.partner.as_deref() == Some(partner))
            .map(|l| l.name)
            .collect();
        if lists.is_empty() {
            return Err(ArchiveError::NotFound(format!(
                "no list belongs to partner {partner:?}; import one with `casebook customers import FILE --list NAME --partner {partner}`"
            )));
        }
        let report = self.archive.customers().matches(None).await?;
        let mut matches = Vec::new();
        let mut withheld = HashSet::new();
        let mut decided: HashMap<String, bool> = HashMap::new();
        for m in report.matches {
            if !lists.contains(&m.record.list) {
                continue;
            }
            let allowed = match decided.get(&m.correspondent) {
                Some(a) => *a,
                None => {
                    let a = self
                        .archive
                        .privacy()
                        .of(&m.correspondent)
                        .await?
                        .may_go_to_partners();
                    decided.insert(m.correspondent.clone(), a);
                    a
                }
            };
            if allowed {
                matches.push(m);
            } else {
                withheld.insert(m.correspondent);
            }
        }
        let people: HashSet<&str> = matches.iter().map(|m| m.correspondent.as_str()).collect();
        self.archive
            .store
            .record_audit(&entry(
                actor,
                "partner-export",
                AuditSubject::Partner(partner),
                serde_json::json!({
                    "lists": lists,
                    "correspondents": people.len(),
                    "withheld": withheld.len(),
                }),
            ))
            .await?;
        Ok(PartnerExport {
            partner: partner.to_owned(),
            matches,
            withheld: withheld.len() as u64,
        })
    }

    /// Merges `other` into the person whose primary address is `primary`
    /// (audited, reversible with [`Customers::separate`]).
    pub async fn merge(&self, primary: &str, other: &str, actor: &str) -> Result<(), ArchiveError> {
        let primary = address_arg(primary)?;
        let other = address_arg(other)?;
        if primary == other {
            return Err(ArchiveError::Refused(
                "the two addresses are the same person already".into(),
            ));
        }
        // A primary that is itself merged: merge into its person.
        let links = self.archive.store.person_links().await?;
        let person = links
            .iter()
            .find(|(a, _)| a == primary.as_str())
            .map_or_else(|| primary.as_str().to_owned(), |(_, p)| p.clone());
        // Everyone linked to `other` follows it.
        let mut moving: Vec<String> = links
            .iter()
            .filter(|(_, p)| p == other.as_str())
            .map(|(a, _)| a.clone())
            .collect();
        moving.push(other.as_str().to_owned());
        for address in moving {
            if address == person {
                continue;
            }
            let audit = about(
                entry(
                    actor,
                    "person-merge",
                    AuditSubject::Person(&person),
                    serde_json::json!({ "address": address }),
                ),
                [address.as_str()],
            );
            self.archive
                .store
                .link_person(&address, &person, actor, now(), &audit)
                .await?;
        }
        Ok(())
    }

    /// Corrects what is held on a person at their request, audited: the
    /// name they go by, and a customer list whose match was wrong for them.
    pub async fn correct(
        &self,
        email: &str,
        name: Option<&str>,
        not_on_list: Option<&str>,
        actor: &str,
    ) -> Result<(), ArchiveError> {
        let address = address_arg(email)?;
        let mut changes = Vec::new();
        if let Some(name) = name {
            let name = name.trim();
            if name.is_empty() {
                return Err(ArchiveError::Refused("the corrected name is empty".into()));
            }
            changes.push(("name", name.to_owned()));
        }
        if let Some(list) = not_on_list {
            self.archive.check_list(Some(list.trim())).await?;
            changes.push(("not-on-list", list.trim().to_owned()));
        }
        if changes.is_empty() {
            return Err(ArchiveError::Refused(
                "nothing to correct: say --name \"…\" and/or --not-on-list LIST".into(),
            ));
        }
        for (field, value) in changes {
            let audit = entry(
                actor,
                "correct",
                AuditSubject::Person(address.as_str()),
                serde_json::json!({ field: value }),
            );
            self.archive
                .store
                .add_correction(
                    &Correction {
                        address: address.as_str().to_owned(),
                        field: field.to_owned(),
                        value,
                        corrected_by: actor.to_owned(),
                        corrected_at: now(),
                    },
                    &audit,
                )
                .await?;
        }
        Ok(())
    }

    /// The name a person asked to be known by, if they corrected it.
    pub async fn corrected_name(&self, address: &str) -> Result<Option<String>, ArchiveError> {
        let Some(address) = normalize_address(address) else {
            return Ok(None);
        };
        let addresses = self.archive.store.person_addresses(&address).await?;
        Ok(self
            .archive
            .store
            .corrections_of(&addresses)
            .await?
            .into_iter()
            .filter(|c| c.field == "name")
            .max_by_key(|c| c.corrected_at)
            .map(|c| c.value))
    }

    /// Every correction recorded for a person's addresses.
    pub async fn corrections_of(&self, address: &str) -> Result<Vec<Correction>, ArchiveError> {
        let address = address_arg(address)?;
        let addresses = self
            .archive
            .store
            .person_addresses(address.as_str())
            .await?;
        Ok(self.archive.store.corrections_of(&addresses).await?)
    }

    /// Separates `address` from the person it was merged into, audited.
    pub async fn separate(&self, address: &str, actor: &str) -> Result<(), ArchiveError> {
        let address = address_arg(address)?;
        let audit = entry(
            actor,
            "person-separate",
            AuditSubject::Person(address.as_str()),
            serde_json::json!({}),
        );
        if !self
            .archive
            .store
            .unlink_person(address.as_str(), &audit)
            .await?
        {
            return Err(ArchiveError::NotFound(format!(
                "{address} is not merged into another person; `casebook person list` shows merges"
            )));
        }
        Ok(())
    }

    /// Every merge: (person's primary address, its other addresses).
    pub async fn persons(&self) -> Result<Vec<(String, Vec<String>)>, ArchiveError> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (address, person) in self.archive.store.person_links().await? {
            out.entry(person).or_default().push(address);
        }
        Ok(out.into_iter().collect())
    }

    /// Correspondents the lists suggest are one person: their records share
    /// an account id, or a name and company. Pairs already merged are left
    /// out.
    pub async fn person_suggestions(&self) -> Result<Vec<PersonSuggestion>, ArchiveError> {
        let report = self.archive.customers().matches(None).await?;
        let links: HashMap<String, String> = self
            .archive
            .store
            .person_links()
            .await?
            .into_iter()
            .collect();
        let person = |a: &str| links.get(a).cloned().unwrap_or_else(|| a.to_owned());
        let mut groups: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        for m in report.matches.iter().filter(|m| m.kind == MatchKind::Exact) {
            let r = &m.record;
            if let Some(account) = &r.account {
                groups
                    .entry((format!("account {account} on {}", r.list), String::new()))
                    .or_default()
                    .push(m.correspondent.clone());
            }
            if let (Some(name), Some(company)) = (&r.name, &r.company) {
                groups
                    .entry((
                        format!("name and company {name}, {company}"),
                        name.to_lowercase() + "\u{0}" + &company.to_lowercase(),
                    ))
                    .or_default()
                    .push(m.correspondent.clone());
            }
        }
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for ((reason, _), mut addresses) in groups {
            addresses.sort();
            addresses.dedup();
            let persons: HashSet<String> = addresses.iter().map(|a| person(a)).collect();
            if addresses.len() > 1 && persons.len() > 1 && seen.insert(addresses.clone()) {
                out.push(PersonSuggestion { addresses, reason });
            }
        }
        Ok(out)
    }
}

/// Addresses the lists suggest belong to one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonSuggestion {
    pub addresses: Vec<String>,
    /// What they share ("account 42 on crm").
    pub reason: String,
}
