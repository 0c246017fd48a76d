//! Customer and partner lists from messy real-world CSVs: import with row
//! problems reported by line, matching by address and by company domain
//! (never a free-mail one), the archive showing who a sender is, search by
//! list, merged persons, and the partner export leaving out objectors.

use crate::web::{add_user, csrf_of, Server};
use crate::{id_of, Casebook};
use serde_json::Value;

fn mail(from: &str, id: &str, subject: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: support@casebook.example\r\nSubject: {subject}\r\n\
         Date: Wed, 2 Jul 2008 10:00:00 +0200\r\nMessage-ID: <{id}>\r\n\r\nHello, {subject}.\r\n"
    )
    .into_bytes()
}

/// Our CRM's export: BOM, semicolons, CRLF, spaces and capitals, a blank
/// line, a duplicate row, a quoted line break, a row without an address.
const CRM: &[u8] = b"\xef\xbb\xbfE-Mail;Full Name;Organisation;Account ID\r\n \
ANN@Customer.Example ;Ann Lee;\"Customer; Inc.\";A-1\r\n\r\n\
ann@customer.example;Ann Lee;\"Customer; Inc.\";A-1\r\n\
dave@gmail.com;Dave;\"Free\r\nMail Ltd\";A-2\r\n\
;No Address;Nowhere;A-3\r\n\
ann.lee@customer-home.example;Ann Lee;\"Customer; Inc.\";A-1\r\n";

/// A partner's list: tab-separated Latin-1 with its own header spellings.
const PARTNER: &[u8] = b"mail\tContact Name\tCompany\n\
erin@partner-only.example\tErin M\xfcller\tPartner Only GmbH\n\
frank@other.example\tFrank\tOther\n\
ann@customer.example\tAnn\tCustomer Inc\n";

fn senders() -> Casebook {
    let cb = Casebook::new();
    for (from, id) in [
        ("Ann Lee <ann@customer.example>", "ann1@x"),
        ("Ann Lee <ann.lee@customer-home.example>", "ann2@x"),
        ("Bob <bob@customer.example>", "bob1@x"),
        ("Carl <carl@gmail.com>", "carl1@x"),
        ("Erin <erin@partner-only.example>", "erin1@x"),
        ("Frank <frank@other.example>", "frank1@x"),
    ] {
        cb.write_mail(&format!("{id}.eml"), &mail(from, id, "trunk down"));
    }
    cb.ok(&["import", cb.mail_dir()]);
    cb
}

fn import_lists(cb: &Casebook) {
    let crm = cb.write_mail("crm-export.csv", CRM);
    let report = cb.ok(&[
        "customers",
        "import",
        crm.to_str().expect("utf-8"),
        "--list",
        "crm",
    ]);
    assert!(
        report.contains("list crm: 3 records read") && report.contains("separated by ';'"),
        "{report}"
    );
    assert!(report.contains("1 duplicate rows left out"), "{report}");
    assert!(
        report.contains("line 7: no e-mail address; row not imported"),
        "{report}"
    );
    let partner = cb.write_mail("partner.tsv", PARTNER);
    let report = cb.ok(&[
        "customers",
        "import",
        partner.to_str().expect("utf-8"),
        "--list",
        "telco",
        "--partner",
        "TelcoPartner",
    ]);
    assert!(
        report.contains("Windows-1252, separated by tabs"),
        "{report}"
    );
}

fn search_ids(cb: &Casebook, query: &str) -> Vec<String> {
    let v = cb.json(&["search", "--json", "--", query]);
    let mut ids: Vec<String> = v["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .filter_map(|h| h["message_id"].as_str().map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

#[test]
fn messy_lists_match_by_address_and_company_domain_and_show_in_the_archive() {
    let cb = senders();
    import_lists(&cb);

    let lists = cb.json(&["customers", "lists", "--json"]);
    assert_eq!(lists[0]["name"], "crm");
    assert_eq!(lists[0]["source_file"], "crm-export.csv");
    assert_eq!(lists[0]["records"], 3);
    assert_eq!(lists[1]["partner"], "TelcoPartner");

    let report = cb.json(&["customers", "match", "--json"]);
    let kinds: Vec<(String, String, String)> = report["matches"]
        .as_array()
        .expect("matches")
        .iter()
        .map(|m| {
            (
                m["email"].as_str().unwrap_or_default().to_owned(),
                m["kind"].as_str().unwrap_or_default().to_owned(),
                m["list"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let expect = |e: &str, k: &str, l: &str| (e.to_owned(), k.to_owned(), l.to_owned());
    assert_eq!(
        kinds,
        [
            expect("ann.lee@customer-home.example", "exact", "crm"),
            expect("ann@customer.example", "exact", "crm"),
            expect("ann@customer.example", "exact", "telco"),
            expect("bob@customer.example", "domain", "crm"),
            expect("bob@customer.example", "domain", "telco"),
            expect("erin@partner-only.example", "exact", "telco"),
            expect("frank@other.example", "exact", "telco"),
        ],
        "{report}"
    );
    // A customer at gmail.com makes no other gmail.com sender a customer.
    assert_eq!(report["unmatched"], serde_json::json!(["carl@gmail.com"]));
    let record = &report["matches"][1]["record"];
    assert_eq!(record["company"], "Customer; Inc.");
    assert_eq!(record["account"], "A-1");
    assert_eq!(record["fields"]["Full Name"], "Ann Lee");
    let summary = cb.ok(&["customers", "match"]);
    assert!(
        summary.contains("crm: 2 correspondents by exact"),
        "{summary}"
    );
    assert!(
        summary.contains("on no list: 1 correspondents"),
        "{summary}"
    );

    let bob = id_of(&cb, "bob1@x");
    let shown = cb.json(&["show", &bob.to_string(), "--json"]);
    assert_eq!(shown["customer"][0]["kind"], "domain");
    assert_eq!(shown["customer"][0]["record"]["company"], "Customer; Inc.");
    let text = cb.ok(&["show", &id_of(&cb, "erin1@x").to_string()]);
    assert!(
        text.contains("Customer: Erin M\u{fc}ller, Partner Only GmbH"),
        "{text}"
    );

    assert_eq!(
        search_ids(&cb, "customer:crm"),
        ["ann1@x", "ann2@x", "bob1@x"]
    );
    assert_eq!(search_ids(&cb, "-is:customer"), ["carl1@x"]);
    let unknown = cb.run(&["search", "customer:nope"]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no customer list \"nope\""));

    // Re-importing replaces the list; --merge adds to it.
    let one = cb.write_mail("one.csv", b"email\ncarl@gmail.com\n");
    cb.ok(&[
        "customers",
        "import",
        one.to_str().expect("utf-8"),
        "--list",
        "crm",
    ]);
    assert_eq!(cb.json(&["customers", "lists", "--json"])[0]["records"], 1);
    let crm = cb.write_mail("crm-export.csv", CRM);
    cb.ok(&[
        "customers",
        "import",
        crm.to_str().expect("utf-8"),
        "--list",
        "crm",
        "--merge",
    ]);
    assert_eq!(cb.json(&["customers", "lists", "--json"])[0]["records"], 4);
    assert_eq!(search_ids(&cb, "-is:customer"), Vec::<String>::new());
}

#[test]
fn a_file_without_a_known_header_asks_for_the_column() {
    let cb = senders();
    let f = cb.write_mail(
        "kontakte.csv",
        b"Kontakt,Firma\n\"Ann <ann@customer.example>\",Customer\n",
    );
    let out = cb.run(&[
        "customers",
        "import",
        f.to_str().expect("utf-8"),
        "--list",
        "de",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("kontakte.csv")
            && err.contains("Kontakt, Firma")
            && err.contains("--column email="),
        "{err}"
    );
    let ok = cb.ok(&[
        "customers",
        "import",
        f.to_str().expect("utf-8"),
        "--list",
        "de",
        "--column",
        "email=1",
        "--column",
        "company=Firma",
    ]);
    assert!(ok.contains("1 records read"), "{ok}");
    let bad = cb.run(&[
        "customers",
        "import",
        f.to_str().expect("utf-8"),
        "--list",
        "de",
        "--column",
        "email=9",
    ]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("the file has 2 columns"));
    let missing = cb.run(&[
        "customers",
        "import",
        "/nonexistent/list.csv",
        "--list",
        "de",
    ]);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read /nonexistent/list.csv"));
}

#[test]
fn merged_persons_search_as_one_and_the_partner_export_leaves_out_objectors() {
    let cb = senders();
    import_lists(&cb);

    let suggested = cb.ok(&["person", "suggest"]);
    assert!(
        suggested
            .contains("ann.lee@customer-home.example + ann@customer.example  (account A-1 on crm)"),
        "{suggested}"
    );
    let suggested = cb.json(&["person", "suggest", "--json"]);
    assert_eq!(
        suggested[0],
        serde_json::json!({
            "addresses": ["ann.lee@customer-home.example", "ann@customer.example"],
            "reason": "account A-1 on crm"
        }),
        "{suggested}"
    );
    assert_eq!(search_ids(&cb, "from:ann@customer.example"), ["ann1@x"]);
    cb.ok(&[
        "person",
        "merge",
        "ann@customer.example",
        "ann.lee@customer-home.example",
    ]);
    assert_eq!(
        search_ids(&cb, "from:ann@customer.example"),
        ["ann1@x", "ann2@x"],
        "from: finds every address of the person"
    );
    assert_eq!(
        cb.ok(&["person", "list"]).trim(),
        "ann@customer.example: ann.lee@customer-home.example"
    );
    assert_eq!(
        cb.json(&["person", "list", "--json"]),
        serde_json::json!([{
            "person": "ann@customer.example",
            "addresses": ["ann.lee@customer-home.example"]
        }])
    );
    cb.ok(&["person", "separate", "ann.lee@customer-home.example"]);
    assert_eq!(search_ids(&cb, "from:ann@customer.example"), ["ann1@x"]);

    cb.ok(&[
        "privacy",
        "set",
        "frank@other.example",
        "--partners",
        "deny",
        "--source",
        "letter of 2 July",
    ]);
    let out = cb.data_path().join("for-partner.csv");
    let said = cb.ok(&[
        "customers",
        "export-for-partner",
        "TelcoPartner",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(
        said.contains("1 left out (objected to disclosure)"),
        "{said}"
    );
    let csv = std::fs::read_to_string(&out).expect("written");
    assert!(!csv.contains("frank"), "{csv}");
    for present in [
        "ann@customer.example",
        "bob@customer.example",
        "erin@partner-only.example",
    ] {
        assert!(csv.contains(present), "{present}: {csv}");
    }
    assert!(
        !csv.contains("dave@gmail.com"),
        "only the partner's lists: {csv}"
    );
    let audit: Value = cb.json(&["audit", "--json"]);
    let export = audit
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["action"] == "partner-export")
        .expect("audited");
    assert_eq!(export["detail"]["withheld"], 1);
    assert!(
        !export.to_string().contains("frank"),
        "no addresses in the log"
    );
    let unknown = cb.run(&["customers", "export-for-partner", "Nobody"]);
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("no list belongs to partner \"Nobody\"")
    );
}

#[test]
fn the_web_app_imports_lists_shows_customers_and_exports_for_admins_only() {
    let cb = senders();
    add_user(&cb, "ann", "agent");
    add_user(&cb, "ada", "admin");
    add_user(&cb, "mia", "marketing");
    cb.ok(&[
        "privacy",
        "set",
        "frank@other.example",
        "--partners",
        "deny",
        "--source",
        "letter of 2 July",
    ]);
    let server = Server::start(&cb);
    let marketing = server.log_in("mia");
    assert_eq!(server.page("/customers", &marketing).status, 403);

    let agent = server.log_in("ann");
    let page = server.page("/customers", &agent);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("No list imported yet."), "{}", page.body);
    let csrf = csrf_of(&page.body);
    let imported = server.upload(
        "/customers/import",
        &agent,
        &[("csrf", &csrf), ("list", "crm")],
        ("file", "crm-export.csv", CRM),
    );
    assert_eq!(imported.status, 200, "{}", imported.body);
    assert!(
        imported.body.contains("3 records read from crm-export.csv"),
        "{}",
        imported.body
    );
    assert!(
        imported.body.contains("line 7: no e-mail address"),
        "{}",
        imported.body
    );
    let forged = server.upload(
        "/customers/import",
        &agent,
        &[("csrf", "forged"), ("list", "evil")],
        ("file", "x.csv", b"email\nx@y.example\n"),
    );
    assert_eq!(forged.status, 403, "CSRF is checked on uploads");
    let partner = server.upload(
        "/customers/import",
        &agent,
        &[
            ("csrf", &csrf),
            ("list", "telco"),
            ("partner", "TelcoPartner"),
        ],
        ("file", "partner.tsv", PARTNER),
    );
    assert_eq!(partner.status, 200, "{}", partner.body);
    let bad = server.upload(
        "/customers/import",
        &agent,
        &[("csrf", &csrf), ("list", "de")],
        ("file", "kontakte.csv", b"Kontakt,Firma\nann,ACME\n"),
    );
    assert_eq!(bad.status, 400);
    assert!(
        bad.body.contains("kontakte.csv: cannot tell which column"),
        "{}",
        bad.body
    );

    let page = server.page("/customers", &agent);
    assert!(page.body.contains("crm-export.csv"), "{}", page.body);
    assert!(page.body.contains("bob@customer.example"), "{}", page.body);
    assert!(
        !page.body.contains("Export for a partner"),
        "agents do not export"
    );
    let refused = server.post(
        "/customers/partner-export",
        Some(&agent),
        &[("csrf", &csrf), ("partner", "TelcoPartner")],
    );
    assert_eq!(refused.status, 403);

    let erin = id_of(&cb, "erin1@x");
    let thread = cb.json(&["show", &erin.to_string(), "--json"])["thread_id"]
        .as_i64()
        .expect("threaded");
    let view = server.page(&format!("/threads/{thread}"), &agent);
    assert!(
        view.body.contains("Erin M\u{fc}ller") && view.body.contains("Partner Only GmbH"),
        "{}",
        view.body
    );

    let admin = server.log_in("ada");
    let page = server.page("/customers", &admin);
    assert!(page.body.contains("Export for a partner"), "{}", page.body);
    let export = server.post(
        "/customers/partner-export",
        Some(&admin),
        &[("csrf", &csrf_of(&page.body)), ("partner", "TelcoPartner")],
    );
    assert_eq!(export.status, 200, "{}", export.body);
    assert!(export.headers["content-disposition"].contains("for-TelcoPartner.csv"));
    assert!(
        export.body.contains("erin@partner-only.example"),
        "{}",
        export.body
    );
    assert!(!export.body.contains("frank"), "{}", export.body);
}
