//! Anger read as what an upset customer does, not only the words they swear with. Besides
//! insults and shouting (the `ANGRY` lexicon, [`super::shouts`], [`super::exclaims`]), a
//! customer is angry when they
//! - count their attempts: an ordinal from "third" up beside a contact ("third email", "for
//!   the 5th time", "zum dritten Mal"), a count of three or more beside writing or asking
//!   ("I have written four times"), "how many more times";
//! - say their patience is gone ("I'm done being polite", "enough is enough", "estoy
//!   harta", "j'en ai marre");
//! - threaten to leave or to warn others ("you've lost a customer", "one-star review").
//!
//! Two of these weaker cues in one message are anger too:
//! - nobody answers ("not a single reply", "is anyone there?", "sin respuesta");
//! - how long they have waited ("ten days and nothing", "since last Monday");
//! - praise with nothing to praise: a short sentence of praise, or praise of the service,
//!   in a message that complains ("Great customer service." after "I still don't have it");
//! - disbelief ("unbelievable", "are you serious", "unfassbar").
//!
//! Excitement is not anger: shouting or a run of `!` in a message of thanks or joy with no
//! complaint in it ("OMG I finally finished the course!!! Thank you") is not counted.
//!
//! The same concepts are listed for Spanish, French, German, Portuguese, Italian and Dutch,
//! accents folded (decision 0019).

use super::legal::{Read, sentences, unaccented};
use super::{Norm, exclaims, lexicon::ANGRY, shouts};

/// Ordinals from the third up: a count of attempts, never a product's "second edition".
const ORDINALS: &[&str] = &[
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "nth",
    "umpteenth",
    "hundredth",
    "millionth",
    "3rd",
    "4th",
    "5th",
    "6th",
    "7th",
    "8th",
    "9th",
    "10th", // es, pt
    "tercera",
    "tercer",
    "cuarta",
    "quinta",
    "terceira",
    "quarta", // fr
    "troisieme",
    "quatrieme",
    "cinquieme",
    "3eme",
    "3e", // it
    "terza",
    "quinta", // de
    "dritten",
    "vierten",
    "funften",
    "fuenften",
    "3 mal", // nl
    "derde",
    "vierde",
    "vijfde",
];

/// What an attempt is counted in.
const CONTACTS: &[&str] = &[
    "time",
    "times",
    "email*",
    "e mail*",
    "mail*",
    "message*",
    "request*",
    "reminder*",
    "ticket*",
    "attempt*",
    "follow up*",
    "followup*",
    "chaser*",
    "call*",
    "letter*", // es, pt
    "vez",
    "veces",
    "correo*",
    "mensaje*",
    "solicitud*",
    "mensage*",
    "pedido*", // fr
    "fois",
    "courriel*",
    "relance*", // it
    "volta",
    "volte",
    "messaggio*",
    "richiesta*", // de
    "mal",
    "nachricht*",
    "anfrage*", // nl
    "keer",
    "bericht*",
    "verzoek*",
];

/// Writing, asking, chasing: what a count of attempts counts.
const ASKING: &[&str] = &[
    "written",
    "wrote",
    "write",
    "writing",
    "emailed",
    "emailing",
    "mailed",
    "messaged",
    "asked",
    "asking",
    "contacted",
    "contacting",
    "reached out",
    "followed up",
    "chased",
    "chasing",
    "called",
    "phoned",
    "requested",
    "tried",
    "sent",
    "complained", // es, pt
    "escrito",
    "escribo",
    "escribir",
    "pedido",
    "preguntado",
    "contactado",
    "escrevi",
    "escrevo",
    "perguntei", // fr
    "ecrit",
    "ecris",
    "demande",
    "relance",
    "relancer",
    "contacte", // it
    "scritto",
    "scrivo",
    "chiesto",
    "contattato", // de
    "geschrieben",
    "schreibe",
    "gefragt",
    "kontaktiert",
    "angeschrieben", // nl
    "geschreven",
    "schrijf",
    "gevraagd",
    "mail",
    "gemaild",
    "gecontacteerd",
];

/// Three and up, as a customer counts their attempts.
const MANY: &[&str] = &[
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "several",
    "multiple",
    "many",
    "numerous",
    "countless",
    "dozens",
    "3",
    "4",
    "5",
    "6",
    "7",
    "8",
    "9",
    "10", // es, pt
    "tres",
    "cuatro",
    "cinco",
    "varias",
    "muchas",
    "quatro",
    "varias", // fr
    "trois",
    "quatre",
    "cinq",
    "plusieurs", // it
    "tre",
    "quattro",
    "cinque",
    "diverse",
    "molte", // de
    "drei",
    "vier",
    "funf",
    "mehrere",
    "mehrfach", // nl
    "drie",
    "vier",
    "vijf",
    "meerdere",
];

/// Attempts counted without a number.
const REPEATED: &[&str] = &[
    "how many more times",
    "how many times do i",
    "how many times must i",
    "how many times have i",
    "cuantas veces",
    "quantas vezes",
    "combien de fois",
    "quante volte",
    "wie oft noch",
    "wie vaak nog",
];

/// Repetition that counts attempts only beside writing or asking ("I have asked again and
/// again", not "the same charge over and over").
const OVER_AGAIN: &[&str] = &[
    "again and again",
    "over and over",
    "time and again",
    "time after time",
    "repeatedly",
    "yet again",
];

/// Patience gone.
const EXHAUSTED: &[&str] = &[
    "done being polite",
    "done being patient",
    "done waiting",
    "done with you",
    "done with this",
    "had enough",
    "enough is enough",
    "patience has run out",
    "patience is running out",
    "patience ran out",
    "run out of patience",
    "running out of patience",
    "lost my patience",
    "losing my patience",
    "last straw",
    "end of my rope",
    "end of my tether",
    "tired of chasing",
    "tired of waiting",
    "tired of asking",
    "tired of being",
    "thanks for nothing",
    "thank you for nothing",
    "es satt",
    "habe es satt",
    // es
    "harto",
    "harta",
    "hartos",
    "estoy cansado",
    "estoy cansada",
    "me canse",
    "ya basta",
    "se me acabo la paciencia",
    // pt
    "estou cansado",
    "estou cansada",
    "estou farto",
    "estou farta",
    "cansei",
    "chega",
    "perdi a paciencia",
    // fr
    "j en ai assez",
    "jen ai assez",
    "j en ai marre",
    "jen ai marre",
    "ras le bol",
    "ma patience a des limites",
    // it
    "sono stufo",
    "sono stufa",
    "stufo di",
    "stufa di",
    "ne ho abbastanza",
    "ho perso la pazienza",
    // de
    "ich habe genug",
    "mir reicht es",
    "mir reichts",
    "es reicht",
    "ich bin es leid",
    "habe die nase voll",
    "meine geduld ist am ende",
    // nl
    "ik ben het zat",
    "ik heb er genoeg van",
    "mijn geduld is op",
];

/// Leaving, or warning others off.
const LEAVING: &[&str] = &[
    "lost a customer",
    "losing a customer",
    "lost me as a customer",
    "one star",
    "1 star",
    "zero stars",
    "0 stars",
    "no stars",
    "bad review",
    "negative review",
    "terrible review",
    "stay away",
    "warn everyone",
    "warn others",
    "tell everyone",
    "never buy",
    "never want to hear from you",
    "never recommend",
    "una estrella",
    "uma estrela",
    "une etoile",
    "una stella",
    "ein stern",
    "ein sterne",
    "een ster",
    "perdido un cliente",
    "perderam um cliente",
    "perdu un client",
    "perso un cliente",
    "einen kunden verloren",
    "een klant kwijt",
];

/// Nobody answers.
const UNANSWERED: &[&str] = &[
    "no reply",
    "no replies",
    "no response",
    "no answer",
    "not a single reply",
    "not a single response",
    "not a single answer",
    "not a single human",
    "not a single word",
    "not one reply",
    "not one response",
    "nobody replies",
    "nobody responds",
    "nobody answers",
    "nobody has",
    "nobody got back",
    "nobody gets back",
    "nobody bothered",
    "no one replies",
    "no one responds",
    "no one answers",
    "no one has",
    "no one got back",
    "no one gets back",
    "no one bothered",
    "havent heard back",
    "haven t heard back",
    "never heard back",
    "not heard back",
    "didnt hear back",
    "heard nothing",
    "still nothing",
    "still no",
    "still have no",
    "still got no",
    "still had no",
    "still waiting",
    "still havent",
    "still dont",
    "still doesnt",
    "still does not",
    "still isnt",
    "still wont",
    "still cant",
    "still not",
    "ignored",
    "ignoring",
    "silence",
    "anyone there",
    "anybody there",
    "anyone home",
    "anyone reading",
    "anybody reading",
    "anyone listening",
    "anyone actually",
    "is anyone",
    "is anybody",
    // es
    "sin respuesta",
    "ninguna respuesta",
    "nadie responde",
    "nadie contesta",
    "nadie me responde",
    "nadie me contesta",
    "hay alguien",
    "ignorado",
    "ignorada",
    "ignoran",
    "me ignoran",
    "ignoram",
    "ignorano",
    "todavia no",
    "todavia nada",
    // pt
    "sem resposta",
    "nenhuma resposta",
    "ninguem responde",
    "ninguem me responde",
    "tem alguem",
    "ignorado",
    "ignorada",
    "ainda nao",
    "ate agora nada",
    // fr
    "sans reponse",
    "aucune reponse",
    "personne ne repond",
    "personne ne me repond",
    "il y a quelqu un",
    "y a t il quelqu un",
    "on m ignore",
    "ignore",
    "toujours rien",
    "toujours pas",
    // it
    "senza risposta",
    "nessuna risposta",
    "nessuno risponde",
    "nessuno mi risponde",
    "c e qualcuno",
    "ce qualcuno",
    "ignorato",
    "ignorata",
    "ancora niente",
    "ancora nulla",
    // de
    "keine antwort",
    "ohne antwort",
    "niemand antwortet",
    "niemand meldet sich",
    "ist da jemand",
    "ist da uberhaupt jemand",
    "ist da ueberhaupt jemand",
    "ignoriert",
    "immer noch nicht",
    "immer noch nichts",
    "bis heute nichts",
    // nl
    "zonder antwoord",
    "geen antwoord",
    "geen reactie",
    "niemand reageert",
    "niemand antwoordt",
    "is daar iemand",
    "is er iemand",
    "genegeerd",
    "nog steeds niet",
    "nog steeds niets",
];

/// Outrage: the customer says what we did is shameful, insulting, a joke, a scam.
const OUTRAGE: &[&str] = &[
    "insulting",
    "an insult",
    "shambles",
    "a farce",
    "laughable",
    "are you kidding",
    "you must be kidding",
    "are you joking",
    "you have one job",
    "what a joke",
    "joke of a",
    "is this a joke",
    "is this how you treat",
    "how is this acceptable",
    "how is that acceptable",
    "verguenza",
    "vergonha",
    "honteux",
    "honte",
    "vergogna",
    "schande",
    "schandalig",
    "frechheit",
    "inaceptable",
    "inaceitavel",
    "inadmissible",
    "inacceptable",
    "inaccettabile",
    "inakzeptabel",
    "onacceptabel",
    "estafa",
    "arnaque",
    "truffa",
    "abzocke",
    "oplichting",
    "indignante",
    "scandaleux",
    "scandaloso",
    "skandal*",
    "palhacada",
];

/// Disbelief and reproach, which need a second cue ("unbelievable" also praises).
const DISBELIEF: &[&str] = &[
    "unbelievable",
    "cant believe",
    "can t believe",
    "cannot believe",
    "are you serious",
    "seriously",
    "wow",
    "interesting priorities",
    "speaks volumes",
    "shame",
    "cant even",
    "not even",
    "increible",
    "inacreditavel",
    "incroyable",
    "incredibile",
    "unglaublich",
    "unfassbar",
    "ongelooflijk",
    "ridiculo",
    "ridicule",
    "ridicolo",
    "lacherlich",
    "belachelijk",
    "pesimo",
    "pessimo",
    "waardeloos",
    "absurdo",
    "assurdo",
];

/// Praise, which sarcasm borrows.
const PRAISE: &[&str] = &[
    "great",
    "fantastic",
    "amazing",
    "wonderful",
    "brilliant",
    "excellent",
    "superb",
    "impressive",
    "lovely",
    "perfect",
    "awesome",
    "professional",
    "love it",
    "love how",
    "love that",
    "glad to know",
    "good to know",
    "nice",
    "bravo",
    "well done",
    "good job",
    "congratulations",
    "congrats",
    "genial",
    "excelente",
    "maravill*",
    "fantastico",
    "otimo",
    "maravilha",
    "parabens",
    "formidable",
    "felicitations",
    "eccellente",
    "complimenti",
    "ottimo",
    "toll",
    "grossartig",
    "hervorragend",
    "super",
    "klasse",
    "gluckwunsch",
    "geweldig",
    "top*",
    "fantastisch",
    "gefeliciteerd",
];

/// What praise of the product is about (not sarcasm: "great course").
const CONTENT: &[&str] = &[
    "course*",
    "class*",
    "lesson*",
    "video*",
    "content",
    "material*",
    "module*",
    "instructor*",
    "teacher*",
    "book*",
    "tutorial*",
    "explanation*",
    "curso*",
    "aula*",
    "cours",
    "lecon*",
    "corso",
    "corsi",
    "lezion*",
    "kurs*",
    "cursus",
    "les",
    "lessen",
];

/// A message that complains: something not done, not working, or still missing.
const COMPLAINT: &[&str] = &[
    "not",
    "no",
    "never",
    "nothing",
    "nobody",
    "no one",
    "cant",
    "cannot",
    "doesnt",
    "didnt",
    "dont",
    "wont",
    "isnt",
    "havent",
    "hasnt",
    "still",
    "without",
    "broken",
    "fail*",
    "twice",
    "kept",
    "took",
    "promised",
    "disappear*",
    "vanish*",
    "waiting",
    "wait",
    "unable",
    "esperando",
    "espero",
    "attends",
    "attendre",
    "aspetto",
    "warte",
    "wacht",
    "ignored",
    "silence",
    "nada",
    "nunca",
    "sin",
    "todavia",
    "nao",
    "sem",
    "ainda",
    "pas",
    "rien",
    "jamais",
    "sans",
    "toujours",
    "non",
    "niente",
    "mai",
    "senza",
    "ancora",
    "nicht",
    "kein*",
    "nichts",
    "nie",
    "ohne",
    "niet",
    "geen",
    "niets",
    "nooit",
    "zonder",
];

/// Joy and thanks: shouting in a happy message is excitement.
const JOY: &[&str] = &[
    "thank*",
    "thx",
    "excited",
    "so happy",
    "love",
    "loved",
    "finally finished",
    "finished",
    "congrat*",
    "yay",
    "woohoo",
    "awesome",
    "amazing",
    "best course",
    "gracias",
    "obrigad*",
    "merci",
    "grazie",
    "danke",
    "bedankt",
];

/// Two or more, as a number or a number word in one of the languages read here.
fn two_or_more(word: &str) -> bool {
    super::quantity(word).is_some_and(|n| n >= 2)
        || matches!(
            word,
            "several"
                | "many"
                | "few"
                | "dos"
                | "tres"
                | "cuatro"
                | "cinco"
                | "diez"
                | "dois"
                | "quatro"
                | "dez"
                | "deux"
                | "trois"
                | "quatre"
                | "cinq"
                | "dix"
                | "due"
                | "tre"
                | "quattro"
                | "cinque"
                | "dieci"
                | "zwei"
                | "drei"
                | "vier"
                | "funf"
                | "zehn"
                | "twee"
                | "drie"
                | "vijf"
                | "tien"
        )
}

/// Waiting, measured: "ten days", "three weeks", "since Monday".
fn waited(norm: &Norm) -> bool {
    let tokens: Vec<&str> = norm.tokens().collect();
    tokens.windows(2).any(|w| {
        let count = two_or_more(w[0]);
        let unit = matches!(
            w[1],
            "days"
                | "weeks"
                | "months"
                | "dias"
                | "semanas"
                | "meses"
                | "jours"
                | "semaines"
                | "mois"
                | "giorni"
                | "settimane"
                | "mesi"
                | "tagen"
                | "wochen"
                | "monaten"
                | "dagen"
                | "weken"
                | "maanden"
        );
        count && unit
    }) || norm.any(&[
        "since last",
        "since monday",
        "since tuesday",
        "since wednesday",
        "since thursday",
        "since friday",
        "since january",
        "desde hace",
        "depuis",
        "da giorni",
        "seit tagen",
        "seit wochen",
        "al dagen",
        "al weken",
    ])
}

/// One of `first` directly followed, within two words, by one of `then`.
fn near(norm: &Norm, first: &[&str], then: &[&str]) -> bool {
    let tokens: Vec<&str> = norm.tokens().collect();
    for (i, t) in tokens.iter().enumerate() {
        if !first.contains(t) {
            continue;
        }
        let rest = tokens[i + 1..(i + 4).min(tokens.len())].join(" ");
        let rest = Norm::new(&rest);
        if rest.any(then) {
            return true;
        }
    }
    false
}

/// The words an attempt is counted in that also count other things ("the third time I
/// bought from you"): they need writing or a complaint beside them.
const TIMES: &[&str] = &[
    "time", "times", "vez", "veces", "vezes", "fois", "volta", "volte", "mal", "keer",
];

/// The customer counts their attempts.
fn counts_attempts(read: &Read) -> bool {
    if read.any(REPEATED) {
        return true;
    }
    let asking = read.any(ASKING) || read.any(COMPLAINT);
    let letters: Vec<&str> = CONTACTS
        .iter()
        .copied()
        .filter(|c| !TIMES.contains(c))
        .collect();
    [&read.joined, &read.split].iter().any(|n| {
        near(n, ORDINALS, &letters) || (asking && near(n, ORDINALS, TIMES)) || asked_many_times(n)
    }) || (read.any(ASKING) && read.any(OVER_AGAIN))
}

/// Writing or asking, then within four words a count of three or more times: "I have
/// written four times", "emailed you 5 times" (not "checked my statement several times").
fn asked_many_times(norm: &Norm) -> bool {
    let tokens: Vec<&str> = norm.tokens().collect();
    tokens.windows(2).enumerate().any(|(i, w)| {
        MANY.contains(&w[0])
            && TIMES.contains(&w[1])
            && tokens[i.saturating_sub(4)..i]
                .iter()
                .any(|t| ASKING.contains(t))
    })
}

/// Days named beside writing or asking: "I followed up on Monday, Wednesday and today".
fn lists_follow_ups(read: &Read) -> bool {
    const DAYS: &[&str] = &[
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "today",
        "yesterday",
    ];
    read.any(ASKING) && read.joined.tokens().filter(|t| DAYS.contains(t)).count() >= 2
}

/// Ordinary words written in capitals for emphasis ("Do NOT send me another reply",
/// "NOW"): how many. Acronyms are not ordinary words, so "SQL" and "PDF" are not counted.
fn emphasised(raw: &str) -> usize {
    const ORDINARY: &[&str] = &[
        "NOT",
        "NOW",
        "NEVER",
        "NO",
        "STILL",
        "AGAIN",
        "STOP",
        "WHY",
        "WHERE",
        "ANY",
        "EVER",
        "ONE",
        "ALL",
        "NOTHING",
        "NOBODY",
        "ANYONE",
        "TODAY",
        "IMMEDIATELY",
        "REAL",
        "ACTUALLY",
        "PLEASE",
        "HOW",
        "WHAT",
        "TWICE",
        "MY",
        "ME",
        "YOUR",
        "YOU",
    ];
    let mut seen: Vec<&str> = Vec::new();
    for word in raw.split(|c: char| !c.is_alphabetic()) {
        if ORDINARY.contains(&word) && !seen.contains(&word) {
            seen.push(word);
        }
    }
    seen.len()
}

/// Anger at oneself ("I'm furious with myself for deleting the email") is not anger at us.
fn at_oneself(norm: &Norm) -> bool {
    norm.any(&[
        "at myself",
        "with myself",
        "at me for",
        "my own fault",
        "my fault",
    ])
}

/// A short sentence of praise, or praise of the service, that is not about the content
/// ("Great customer service.", "Genial, otra semana sin respuesta").
fn sarcastic_praise(sentence: &str) -> bool {
    let read = Read::new(sentence);
    if !read.any(PRAISE) || read.any(CONTENT) {
        return false;
    }
    let words = read.joined.tokens().count();
    words <= 6
        || read.any(&[
            "service",
            "support",
            "job",
            "business",
            "priorities",
            "customer",
            "company",
            "team",
            "atendimento",
            "servicio",
            "servizio",
            "kundenservice",
            "klantenservice",
        ])
}

/// Whether the message reads angry.
pub(super) fn is_angry(raw: &str, norm: &Norm) -> bool {
    let text = unaccented(raw);
    let whole = Read::new(&text);
    let complains = whole.any(COMPLAINT);
    if norm.any(ANGRY) && !at_oneself(norm) {
        return true;
    }
    // Shouting or a run of `!` counts, unless it is joy with nothing complained of, or the
    // writer says the caps were an accident.
    let excited = whole.any(JOY) && !complains;
    if (exclaims(raw) && !excited) || (shouts(raw) && !excited && !norm.has("caps lock")) {
        return true;
    }
    let mut strong = false;
    let mut weak = 0usize;
    let mut praise = false;
    let mut unanswered = false;
    let mut disbelief = false;
    for (sentence, _question) in sentences(&text) {
        let read = Read::new(sentence);
        strong |= counts_attempts(&read)
            || read.any(EXHAUSTED)
            || read.any(LEAVING)
            || read.any(OUTRAGE)
            || lists_follow_ups(&read);
        unanswered |= read.any(UNANSWERED);
        disbelief |= read.any(DISBELIEF);
        praise |= sarcastic_praise(sentence);
    }
    if strong {
        return true;
    }
    weak += usize::from(unanswered);
    weak += usize::from(disbelief);
    weak += usize::from(praise && complains);
    weak += usize::from(waited(&whole.joined) && complains);
    weak += usize::from(text.contains("???") || text.contains("?!"));
    match emphasised(raw) {
        0 => {}
        1 => weak += 1,
        _ => return true,
    }
    weak >= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    fn angry(t: &str) -> bool {
        is_angry(t, &Norm::new(t))
    }

    #[test]
    fn counted_attempts_lost_patience_and_leaving_are_anger() {
        for t in [
            "This is my third email about the invoice.",
            "I have written four times about my login.",
            "How many more times do I have to ask for my refund?",
            "I'm done being polite. Refund the course.",
            "Congratulations, you've lost a customer for life.",
            "Es la tercera vez que les escribo.",
            "Ich schreibe Ihnen jetzt zum dritten Mal.",
            "J'en ai marre de vous relancer.",
            "Estoy harta de esperar.",
            "Thanks for nothing.",
        ] {
            assert!(angry(t), "{t}");
        }
    }

    #[test]
    fn two_weaker_cues_together_are_anger() {
        for t in [
            "Ten days and not a single human reply. Unbelievable.",
            "I still don't have my refund. Great customer service.",
            "Hello??? Is anyone actually reading these?",
            "Complimenti, un'altra settimana senza risposta. Servizio eccellente.",
            "Do NOT send me another automated reply. I want a real person to fix my login. NOW.",
            "I followed up on Monday, Wednesday and today. Nothing.",
            "Genial, otra semana sin respuesta. Qué servicio tan maravilloso.",
            "¿Hay alguien ahí? Llevo diez días esperando.",
            "Brilliant. Just brilliant. The video still doesn't load.",
        ] {
            assert!(angry(t), "{t}");
        }
    }

    #[test]
    fn joy_questions_and_plain_follow_ups_are_not() {
        for t in [
            "OMG I finally finished the course!!! Thank you thank you thank you",
            "NEW STUDENT HERE! So excited to start!",
            "Great course! Quick question: where do I find the slides?",
            "I haven't heard back about my invoice yet, could you check?",
            "Is the third module available yet?",
            "This is the third course I've bought from you, loving them all.",
            "Can I pay in three instalments?",
            "Wow, the new lessons are great.",
            "I'm furious with myself for deleting the welcome email. Can you help?",
            "My card is showing the same transaction over and over again.",
            "I HAVE A QUESTION ABOUT THE SQL JOINS IN LESSON 12. Sorry, caps lock was on!",
            "I checked my statement several times and I requested the refund last week.",
            "Great customer service, thank you so much for the quick help!",
            "I'd like an invoice in PDF for my SQL course, please.",
        ] {
            assert!(!angry(t), "{t}");
        }
    }
}
