//! The words of the corpus: what customers of a telephony vendor write
//! about and how our agents answer.

pub(crate) struct Topic {
    pub(crate) name: &'static str,
    pub(crate) subjects: &'static [&'static str],
    pub(crate) problems: &'static [&'static str],
    pub(crate) answers: &'static [&'static str],
}

pub(crate) const TOPICS: &[Topic] = &[
    Topic {
        name: "sip-trunk",
        subjects: &["SIP trunk registration fails", "Trunk drops calls after 30 seconds", "SIP trunk down"],
        problems: &[
            "Our SIP trunk to the carrier stopped registering this morning. The log shows 401 Unauthorized after every REGISTER.",
            "Outbound calls over the trunk hang up after exactly thirty seconds. Inbound calls are fine.",
            "Since the firewall change the trunk shows UNREACHABLE and qualify times out.",
        ],
        answers: &[
            "A call that ends after thirty seconds almost always means the ACK never reaches us. Please check that your firewall passes UDP 5060 and set directmedia=no on the peer.",
            "The 401 means the carrier rejects the credentials. Please confirm the secret and set fromuser to the account number the carrier gave you.",
        ],
    },
    Topic {
        name: "dialplan",
        subjects: &["Dialplan pattern does not match", "Help with extensions.conf", "Question about the dialplan"],
        problems: &[
            "My dialplan pattern _9NXXNXXXXXX never matches when users dial out. I reloaded the dialplan twice.",
            "Calls to extension 200 go to the wrong context. I think the include order in extensions.conf is wrong.",
        ],
        answers: &[
            "Patterns start with an underscore and N matches 2-9, so a leading 1 will not match. Try _91NXXNXXXXXX and run dialplan show to check.",
            "Includes are searched after the context's own extensions; move the include or use a more specific pattern.",
        ],
    },
    Topic {
        name: "voicemail",
        subjects: &["Voicemail to email not arriving", "Voicemail greeting problem", "Voicemail PIN reset"],
        problems: &[
            "Voicemail messages are recorded but the notification email with the attachment never arrives.",
            "Callers hear the default voicemail greeting even though we recorded an unavailable greeting.",
        ],
        answers: &[
            "Voicemail hands the mail to the local sendmail. Please check that serveremail is set in voicemail.conf and that the mail log shows the delivery.",
            "The greeting file must be in the mailbox folder as unavail.wav; check the file permissions for the asterisk user.",
        ],
    },
    Topic {
        name: "licence",
        subjects: &["Licence key not accepted", "Renewing our licence", "Licence transfer to new server"],
        problems: &[
            "The licence key for the fax module is rejected with an invalid host id after we replaced the motherboard.",
            "We need to move our licence to a new server before the old one is retired next week.",
        ],
        answers: &[
            "I have released the licence from the old host id; please run the registration utility again on the new server.",
            "Licence transfers are free once a year. I have reset the key, so it will bind to the next host that registers it.",
        ],
    },
    Topic {
        name: "invoice",
        subjects: &["Invoice", "Question about invoice", "Invoice copy needed"],
        problems: &[
            "Could you send a copy of last month's invoice with our VAT number on it? Our accounts department needs it.",
            "The invoice lists twelve channels but our contract is for eight. Please correct the invoice.",
        ],
        answers: &[
            "Attached is the corrected invoice with your VAT number. Accounts will refund the difference within ten days.",
            "You are right, the invoice was for the wrong channel count. A credit note is on its way.",
        ],
    },
    Topic {
        name: "codec",
        subjects: &["One-way audio with G.729", "Echo on calls", "Codec negotiation fails"],
        problems: &[
            "Calls between the office and the branch have one-way audio when G.729 is negotiated. With ulaw it works.",
            "Users hear their own echo on PSTN calls through the DAHDI card.",
        ],
        answers: &[
            "One-way audio with G.729 usually means the codec licence is exhausted; check with g729 show licenses and add channels.",
            "Enable echocancel in the channel configuration and run the fxotune utility to tune the line impedance.",
        ],
    },
    Topic {
        name: "queue",
        subjects: &["Call queue members not ringing", "Queue statistics wrong", "Help"],
        problems: &[
            "Agents logged into the support queue never ring although the queue shows them as available.",
            "The queue statistics report abandoned calls that our agents actually answered.",
        ],
        answers: &[
            "Queue members that never ring are usually paused; check queue show and unpause them, then check the ringinuse setting.",
            "Abandoned counts include calls that hung up during the announcement. Set announce-position to no if you do not want that.",
        ],
    },
];

pub(crate) const FIRST_NAMES: &[&str] = &[
    "Anna", "Ben", "Carla", "David", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Karin",
    "Luis", "Maya", "Nils", "Olga", "Pedro", "Quinn", "Rosa", "Sven", "Tara", "Uwe", "Vera", "Wei",
    "Yuki", "Zoe",
];

pub(crate) const LAST_NAMES: &[&str] = &[
    "Albers",
    "Brandt",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Hoffmann",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Urban",
    "Valdez",
    "Weber",
    "Zhang",
];

pub(crate) const COMPANIES: &[&str] = &[
    "northwind",
    "bluepeak",
    "sunvale",
    "ironbridge",
    "cloudline",
    "redmoor",
    "silverlake",
    "greenfield",
    "oakridge",
    "brightwave",
    "harbourtel",
    "polarvoice",
];

pub(crate) const FREE_MAIL: &[&str] = &["gmail.com", "yahoo.com", "hotmail.com", "web.de"];

pub(crate) const AGENTS: &[(&str, &str)] = &[
    ("Sam Support", "sam"),
    ("Alex Agent", "alex"),
    ("Robin Helpdesk", "robin"),
];

pub(crate) const PRAISE: &[&str] = &[
    "Thank you so much, your support team solved our problem within an hour. Best support we have ever had.",
    "Excellent work! The fix worked perfectly and our call centre is running again. Many thanks to your team.",
    "I really appreciate the quick and friendly help. Your engineers are fantastic.",
];

pub(crate) const PERMISSION: &[&str] = &[
    "Feel free to quote me on your website.",
    "You may use this as a testimonial.",
    "You can quote us if you like.",
];

/// Customers asking to unsubscribe or to stop sharing their data, in the
/// archive's languages, with what they ask (`unsubscribe`, `stop-sharing`,
/// both joined by `+`).
pub(crate) const PRIVACY_REQUESTS: &[(&str, &str)] = &[
    (
        "Please unsubscribe me from your newsletters.",
        "unsubscribe",
    ),
    (
        "Kindly remove me from your mailing list, I no longer need the updates.",
        "unsubscribe",
    ),
    (
        "Please do not share my contact details with your partners.",
        "stop-sharing",
    ),
    (
        "I object to the disclosure of my data to third parties. Also, please unsubscribe me.",
        "unsubscribe+stop-sharing",
    ),
    ("Bitte den Newsletter abbestellen, danke.", "unsubscribe"),
    (
        "Bitte meine Daten nicht an Dritte weitergeben.",
        "stop-sharing",
    ),
    (
        "Merci de me désabonner de vos envois commerciaux.",
        "unsubscribe",
    ),
    ("Отпишите меня, пожалуйста, от рассылки.", "unsubscribe"),
    ("メールマガジンの配信停止をお願いします。", "unsubscribe"),
    ("请不要向第三方提供我的信息。", "stop-sharing"),
];

/// Messages in other languages and the charsets old mail clients used.
pub(crate) struct Foreign {
    pub(crate) charset: &'static str,
    pub(crate) subject: &'static str,
    pub(crate) body: &'static str,
    /// A word of the body, as a person would search for it.
    pub(crate) word: &'static str,
}

pub(crate) const FOREIGN: &[Foreign] = &[
    Foreign {
        charset: "iso-8859-1",
        subject: "Störung der Telefonanlage",
        body: "Guten Tag, seit heute früh funktioniert die Weiterleitung nicht mehr. Können Sie uns helfen? Grüße",
        word: "Weiterleitung",
    },
    Foreign {
        charset: "windows-1252",
        subject: "Problème de messagerie vocale",
        body: "Bonjour, la messagerie vocale ne reçoit plus les messages depuis la mise à jour. Merci d’avance.",
        word: "messagerie",
    },
    Foreign {
        charset: "koi8-r",
        subject: "Проблема с транком",
        body: "Здравствуйте! Транк перестал регистрироваться после обновления. Помогите, пожалуйста.",
        word: "регистрироваться",
    },
    Foreign {
        charset: "shift_jis",
        subject: "内線転送の不具合",
        body: "お世話になっております。内線転送ができなくなりました。東京都の事務所です。",
        word: "内線転送",
    },
    Foreign {
        charset: "gb2312",
        subject: "通话质量问题",
        body: "您好，我们的通话质量很差，经常有回声。请帮忙检查。",
        word: "回声",
    },
];
