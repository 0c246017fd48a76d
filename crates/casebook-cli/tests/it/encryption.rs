//! Encryption at rest: with a key, raw messages (and so attachments) are
//! sealed in the store; they read back byte for byte with the key, say
//! which key they need without it, and move between keys with `rekey`.

use crate::Casebook;
use std::path::Path;

/// A header and an attachment whose words appear nowhere else the archive
/// keeps text (not in the subject, the text, or an address).
const SECRET: &[u8] = b"From: Ann <ann@customer.example>\r\nTo: support@casebook.example\r\n\
Subject: Licence\r\nMessage-ID: <lic1@customer.example>\r\nX-Licence-Key: QUOKKA-7731-ZEBRA\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
Content-Type: text/plain\r\n\r\nMy licence is attached.\r\n--b\r\n\
Content-Type: text/plain; name=licence.txt\r\nContent-Disposition: attachment; filename=licence.txt\r\n\r\n\
serial number on file\r\n--b--\r\n";
const CANARY: &[u8] = b"QUOKKA-7731-ZEBRA";

/// How many places in the files under `dir` hold `needle`, as it is or
/// inside a zstd frame (the raw store compresses, so plaintext is looked
/// for in every frame the files hold).
fn files_holding(dir: &Path, needle: &[u8]) -> usize {
    use std::io::Read;
    let holds = |b: &[u8]| b.windows(needle.len()).any(|w| w == needle);
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = entry.path();
        if p.is_dir() {
            n += files_holding(&p, needle);
            continue;
        }
        let Ok(bytes) = std::fs::read(&p) else {
            continue;
        };
        n += usize::from(holds(&bytes));
        for (at, _) in bytes
            .windows(4)
            .enumerate()
            .filter(|(_, w)| *w == [0x28, 0xb5, 0x2f, 0xfd])
        {
            let mut out = Vec::new();
            if let Ok(d) = zstd::stream::read::Decoder::new(&bytes[at..]) {
                let _ = d.single_frame().take(1 << 20).read_to_end(&mut out);
            }
            n += usize::from(holds(&out));
        }
    }
    n
}

/// Raw rows not sealed (a sealed value starts `CBX1`), asked of the
/// database itself (PostgreSQL's files are not the test's to read).
fn unsealed_raw_rows(cb: &Casebook) -> String {
    let sql = match casebook_testkit::backend() {
        "postgres" => "SELECT COUNT(*) FROM raw_messages WHERE substring(compressed from 1 for 4) <> convert_to('CBX1', 'UTF8')",
        _ => "SELECT COUNT(*) FROM raw_messages WHERE substr(compressed, 1, 4) <> CAST('CBX1' AS BLOB)",
    };
    casebook_testkit::query_text(&cb.database_url(), sql)
}

fn with_key(cb: &Casebook, key: &Path) {
    std::fs::write(
        &cb.config,
        format!(
            "our_domains = [\"casebook.example\"]\nencryption_key_file = {:?}\n",
            key.display().to_string()
        ),
    )
    .expect("config");
}

#[test]
fn sealed_raw_mail_holds_no_plaintext_reads_back_and_moves_between_keys() {
    let sqlite = casebook_testkit::backend() == "sqlite";
    // Without a key the raw store holds the words (so the check can fail).
    let plain = Casebook::new();
    plain.write_mail("secret.eml", SECRET);
    plain.ok(&["import", plain.mail_dir()]);
    if sqlite {
        assert!(files_holding(plain.data_path(), CANARY) > 0);
    }
    // In the database itself, on either backend.
    assert_eq!(
        unsealed_raw_rows(&plain),
        "1",
        "plain raw mail is not sealed"
    );

    let cb = Casebook::new();
    let key = cb.data_path().join("raw.key");
    let said = cb.ok(&["keygen", "--out", key.to_str().expect("utf-8")]);
    assert!(said.contains("fingerprint"), "{said}");
    let again = cb.run(&["keygen", "--out", key.to_str().expect("utf-8")]);
    assert!(
        !again.status.success(),
        "an existing key is never overwritten"
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&key).expect("key").permissions().mode() & 0o777,
        0o600
    );
    with_key(&cb, &key);
    cb.write_mail("secret.eml", SECRET);
    cb.ok(&["import", cb.mail_dir()]);
    let id = crate::id_of(&cb, "lic1@customer.example").to_string();
    if sqlite {
        assert_eq!(files_holding(cb.data_path(), CANARY), 0, "sealed");
    }
    assert_eq!(unsealed_raw_rows(&cb), "0", "sealed, in the database");
    let raw = cb.run(&["raw", &id]);
    assert_eq!(raw.stdout, SECRET, "byte for byte with the key");
    let attachment = cb.json(&["show", &id, "--json"])["attachments"].clone();
    assert_eq!(attachment[0]["name"], "licence.txt", "{attachment}");

    // Another key cannot open it, and says which key it needs.
    let other = cb.data_path().join("other.key");
    cb.ok(&["keygen", "--out", other.to_str().expect("utf-8")]);
    with_key(&cb, &other);
    let refused = cb.run(&["raw", &id]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("encrypted with key"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    // Rotation: from the first key to the other.
    with_key(&cb, &key);
    let moved = cb.ok(&["rekey", "--to", other.to_str().expect("utf-8")]);
    assert!(moved.contains("re-encrypted 1 raw messages"), "{moved}");
    with_key(&cb, &other);
    assert_eq!(cb.run(&["raw", &id]).stdout, SECRET);
    if sqlite {
        assert_eq!(files_holding(cb.data_path(), CANARY), 0);
    }
    // And out of encryption altogether.
    cb.ok(&["rekey", "--decrypt"]);
    std::fs::write(&cb.config, "our_domains = [\"casebook.example\"]\n").expect("config");
    assert_eq!(cb.run(&["raw", &id]).stdout, SECRET);

    let bad = cb.data_path().join("bad.key");
    std::fs::write(&bad, "not a key").expect("write");
    with_key(&cb, &bad);
    let e = cb.run(&["stats"]);
    assert!(
        String::from_utf8_lossy(&e.stderr).contains("does not hold a key"),
        "{}",
        String::from_utf8_lossy(&e.stderr)
    );
}

/// Issue 19: one archive, one key at a time. Storing with another key (or
/// none) is refused naming both; `check` names a missing key as such, not
/// as damage; `rekey` is in the audit log.
#[test]
fn a_second_key_is_refused_and_rekey_is_audited() {
    let cb = Casebook::new();
    let key = cb.data_path().join("raw.key");
    let other = cb.data_path().join("other.key");
    let fingerprint = |said: String| {
        said.split("fingerprint")
            .nth(1)
            .and_then(|rest| {
                rest.split(|c: char| !c.is_ascii_hexdigit())
                    .find(|w| w.len() == 16)
            })
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no fingerprint in {said:?}"))
    };
    let first = fingerprint(cb.ok(&["keygen", "--out", key.to_str().expect("utf-8")]));
    let second = fingerprint(cb.ok(&["keygen", "--out", other.to_str().expect("utf-8")]));
    with_key(&cb, &key);
    cb.write_mail("secret.eml", SECRET);
    cb.ok(&["import", cb.mail_dir()]);

    with_key(&cb, &other);
    cb.write_mail(
        "later.eml",
        b"From: Bob <bob@x.example>\r\nSubject: later\r\nMessage-ID: <later@x>\r\n\r\nlater\r\n",
    );
    let refused = cb.run(&["import", cb.mail_dir()]);
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(said.contains(&first) && said.contains(&second), "{said}");
    let none = Casebook::on_database(&cb.database_url());
    none.write_mail(
        "later.eml",
        b"From: Bob <bob@x.example>\r\nSubject: later\r\n\r\nlater\r\n",
    );
    let plain = none.run(&["import", none.mail_dir()]);
    assert!(!plain.status.success(), "plain mail into a sealed archive");
    assert!(String::from_utf8_lossy(&plain.stderr).contains("no key"));

    let check = cb.run(&["check"]);
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(
        text.contains(&format!(
            "sealed with key {first}, which this config does not give"
        )),
        "{text}"
    );
    assert!(!text.contains("restore it from a backup"), "{text}");

    with_key(&cb, &key);
    cb.ok(&["rekey", "--to", other.to_str().expect("utf-8")]);
    with_key(&cb, &other);
    cb.ok(&["import", cb.mail_dir()]);
    let log = cb.json(&["audit", "--json"]);
    let rekey = log
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["action"] == "rekey")
        .expect("rekey audited");
    assert_eq!(rekey["detail"]["to"], second.as_str(), "{rekey}");
}
