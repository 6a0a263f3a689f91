//! A knowledge base from a folder of markdown: each file is cut at its headings into
//! chunks (one search document each), named by file and heading so a re-sync replaces a
//! chunk in place, and hashed so an unchanged chunk is not written again.

use sha2::{Digest, Sha256};

use crate::document::{DocType, Document, Metadata};

/// One markdown file as read from disk: its path relative to the knowledge folder.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KbFile {
    pub path: String,
    pub text: String,
}

/// Chunks longer than this are split again at paragraph ends.
const MAX_CHUNK_CHARS: usize = 2_000;

/// `## Student discounts` → `student-discounts` (GitHub's anchor style, ASCII only).
fn slug(heading: &str) -> String {
    let mut out = String::new();
    for c in heading.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if (c == ' ' || c == '-') && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

/// Front matter `url:` and `title:` lines between `---` fences at the top, if any.
fn front_matter(text: &str) -> (Option<String>, Option<String>, &str) {
    let Some(rest) = text.strip_prefix("---\n") else {
        return (None, None, text);
    };
    let Some(end) = rest.find("\n---") else {
        return (None, None, text);
    };
    let (mut url, mut title) = (None, None);
    for line in rest[..end].lines() {
        if let Some((k, v)) = line.split_once(':') {
            let v = v.trim().trim_matches('"').to_owned();
            match k.trim() {
                "url" if !v.is_empty() => url = Some(v),
                "title" if !v.is_empty() => title = Some(v),
                _ => {}
            }
        }
    }
    let body = rest[end + 4..].trim_start_matches(['-', '\n']);
    (url, title, body)
}

fn split_long(text: &str) -> Vec<String> {
    if text.chars().count() <= MAX_CHUNK_CHARS {
        return vec![text.to_owned()];
    }
    let mut parts = Vec::new();
    let mut current = String::new();
    for para in text.split("\n\n") {
        if !current.is_empty()
            && current.chars().count() + para.chars().count() + 2 > MAX_CHUNK_CHARS
        {
            parts.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push_str("\n\n");
        }
        current.push_str(para);
    }
    if !current.trim().is_empty() {
        parts.push(current);
    }
    parts
}

/// The search documents of one file for `app_id`. Each has `title` ("Article › Heading"),
/// `source` (the front matter's `url` or the file path, with the heading's anchor) and a
/// `hash` of its text in the metadata.
pub fn chunk(app_id: &str, file: &KbFile) -> Vec<Document> {
    let (url, fm_title, body) = front_matter(&file.text);
    let path = file.path.trim_start_matches("./");
    let mut article = fm_title;
    let mut sections: Vec<(Option<String>, String)> = Vec::new();
    let mut heading: Option<String> = None;
    let mut current = String::new();
    let mut in_code = false;
    for line in body.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        }
        let level = line.chars().take_while(|&c| c == '#').count();
        let is_heading = !in_code && (1..=3).contains(&level) && line[level..].starts_with(' ');
        if is_heading {
            let text = line[level..].trim().to_owned();
            if level == 1 && article.is_none() {
                article = Some(text);
                continue;
            }
            if !current.trim().is_empty() {
                sections.push((heading.take(), std::mem::take(&mut current)));
            }
            current.clear();
            heading = Some(text);
            continue;
        }
        current.push_str(line);
        current.push('\n');
    }
    if !current.trim().is_empty() {
        sections.push((heading, current));
    }
    let article = article.unwrap_or_else(|| path.to_owned());
    let base = url.unwrap_or_else(|| path.to_owned());
    let mut docs = Vec::new();
    for (n, (heading, text)) in sections.into_iter().enumerate() {
        let anchor = heading.as_deref().map(slug).unwrap_or_default();
        let title = match &heading {
            Some(h) => format!("{article} › {h}"),
            None => article.clone(),
        };
        for (part, piece) in split_long(text.trim()).into_iter().enumerate() {
            let data = format!("{title}\n\n{piece}");
            let hash = hex::encode(Sha256::digest(data.as_bytes()));
            let mut metadata = Metadata::new(DocType::Knowledge, app_id);
            metadata.title = Some(title.clone());
            metadata.source = Some(if anchor.is_empty() {
                base.clone()
            } else {
                format!("{base}#{anchor}")
            });
            metadata.extra.insert("path".into(), path.into());
            metadata.extra.insert("hash".into(), hash.into());
            docs.push(Document {
                id: format!("kb:{app_id}:{path}#{n}.{part}"),
                data,
                metadata,
            });
        }
    }
    docs
}

/// The prefix of every knowledge document id of an app, for finding what a sync removes.
pub fn id_prefix(app_id: &str) -> String {
    format!("kb:{app_id}:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_cut_at_its_headings_with_titles_anchors_and_hashes() {
        let file = KbFile {
            path: "pricing.md".into(),
            text: "---\nurl: https://shop.test/help/pricing\n---\n# Pricing\n\nIntro text.\n\n## Student discounts\n\nStudents get 30% off.\n\n```\n# not a heading\n```\n## Team plans\nTeams of 5 or more pay $39 per seat.\n".into(),
        };
        let docs = chunk("app1", &file);
        assert_eq!(docs.len(), 3, "{docs:#?}");
        assert_eq!(docs[0].metadata.title.as_deref(), Some("Pricing"));
        assert_eq!(
            docs[1].metadata.title.as_deref(),
            Some("Pricing › Student discounts")
        );
        assert_eq!(
            docs[1].metadata.source.as_deref(),
            Some("https://shop.test/help/pricing#student-discounts")
        );
        assert!(docs[1].data.contains("# not a heading"));
        assert_eq!(docs[2].id, "kb:app1:pricing.md#2.0");
        assert!(docs.iter().all(|d| d.id.starts_with(&id_prefix("app1"))));
        // Same text, same hash; other text, other hash.
        assert_eq!(
            chunk("app1", &file)[1].metadata.extra["hash"],
            docs[1].metadata.extra["hash"]
        );
        assert_ne!(
            docs[1].metadata.extra["hash"],
            docs[2].metadata.extra["hash"]
        );
    }

    #[test]
    fn long_sections_split_at_paragraphs_and_files_without_headings_work() {
        let para = "word ".repeat(300);
        let text = format!("{para}\n\n{para}\n\n{para}");
        let docs = chunk(
            "a",
            &KbFile {
                path: "notes.md".into(),
                text,
            },
        );
        assert!(docs.len() >= 2);
        assert!(
            docs.iter()
                .all(|d| d.data.chars().count() <= MAX_CHUNK_CHARS + 40)
        );
        assert_eq!(docs[0].metadata.title.as_deref(), Some("notes.md"));
        assert!(
            chunk(
                "a",
                &KbFile {
                    path: "e.md".into(),
                    text: "\n\n".into()
                }
            )
            .is_empty()
        );
    }
}
