//! The master-key file: parsing, permission checks, atomic rewrites and the admin lock.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use zeroize::Zeroizing;

use crate::{KEY_LEN, Keyring, MasterKey, SecretsError, fill_random};

/// A key file bigger than this is certainly not one (a key line is ~50 bytes).
const MAX_FILE_LEN: u64 = 1024 * 1024;

const HEADER: &str = "\
# support-secrets master keys. One `mk-<n> <base64 of 32 bytes>` per line, oldest first;
# the last key line is the current key. Keep this file mode 0600 and out of version control.
";

fn key_file_err(path: &Path, reason: impl Into<String>) -> SecretsError {
    SecretsError::KeyFile {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

fn io_err(path: &Path, what: &str, e: io::Error) -> SecretsError {
    key_file_err(path, format!("{what}: {e}"))
}

/// One key line of a parsed file.
struct Entry {
    /// 0-based index of the line in the file.
    line: usize,
    number: u64,
    key: MasterKey,
}

/// The file as read: its full text (kept so comments survive rewrites) and its keys.
struct Parsed {
    text: Zeroizing<String>,
    entries: Vec<Entry>,
}

impl Parsed {
    fn into_keyring(self) -> Keyring {
        let mut keys: Vec<MasterKey> = self.entries.into_iter().map(|e| e.key).collect();
        let current = keys.pop().expect("parse rejects a file without keys");
        Keyring::new(current, keys)
    }
}

fn parse_id(token: &str) -> Option<u64> {
    let digits = token.strip_prefix("mk-")?;
    if digits.is_empty() || digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Parses the text. Errors name the line number and never echo the line: a line that fails
/// to parse may well be key material in the wrong place.
fn parse(path: &Path, text: Zeroizing<String>) -> Result<Parsed, SecretsError> {
    let mut entries: Vec<Entry> = Vec::new();
    for (idx, raw) in text.split_inclusive('\n').enumerate() {
        let lineno = idx + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_whitespace();
        let (Some(id), Some(b64), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(key_file_err(
                path,
                format!("line {lineno}: expected `mk-<n> <base64 of 32 bytes>`"),
            ));
        };
        let Some(number) = parse_id(id) else {
            return Err(key_file_err(
                path,
                format!("line {lineno}: key id must be `mk-<n>` with n a positive integer"),
            ));
        };
        if let Some(prev) = entries.last()
            && number <= prev.number
        {
            return Err(key_file_err(
                path,
                format!(
                    "line {lineno}: key id mk-{number} must be greater than the previous key \
                     mk-{} (keys are listed oldest first; the last one is current)",
                    prev.number
                ),
            ));
        }
        let mut buf = Zeroizing::new([0u8; 64]);
        let len = match BASE64.decode_slice(b64, &mut buf[..]) {
            Ok(len) => len,
            Err(base64::DecodeSliceError::OutputSliceTooSmall) => {
                return Err(key_file_err(
                    path,
                    format!("line {lineno}: key is longer than {KEY_LEN} bytes"),
                ));
            }
            Err(base64::DecodeSliceError::DecodeError(_)) => {
                return Err(key_file_err(
                    path,
                    format!("line {lineno}: key is not valid base64 (standard alphabet, padded)"),
                ));
            }
        };
        if len != KEY_LEN {
            return Err(key_file_err(
                path,
                format!("line {lineno}: key must be {KEY_LEN} bytes, got {len}"),
            ));
        }
        let mut key = [0u8; KEY_LEN];
        key.copy_from_slice(&buf[..KEY_LEN]);
        let mk = MasterKey::from_bytes(format!("mk-{number}"), key);
        zeroize::Zeroize::zeroize(&mut key);
        entries.push(Entry {
            line: idx,
            number,
            key: mk,
        });
    }
    if entries.is_empty() {
        return Err(key_file_err(path, "contains no keys"));
    }
    Ok(Parsed { text, entries })
}

/// Reads and parses the file; `Ok(None)` if it doesn't exist.
fn read(path: &Path) -> Result<Option<Parsed>, SecretsError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(path, "cannot open", e)),
    };
    // Check the open handle, not the path, so the file checked is the file read.
    let meta = file
        .metadata()
        .map_err(|e| io_err(path, "cannot stat", e))?;
    if !meta.is_file() {
        return Err(key_file_err(path, "not a regular file"));
    }
    check_private(path, &meta)?;
    if meta.len() > MAX_FILE_LEN {
        return Err(key_file_err(path, "larger than 1 MiB; not a key file"));
    }
    // Pre-size so reading never reallocates and leaves unzeroized copies behind.
    let mut text = Zeroizing::new(String::with_capacity(meta.len() as usize + 1));
    file.take(MAX_FILE_LEN)
        .read_to_string(&mut text)
        .map_err(|e| io_err(path, "cannot read", e))?;
    parse(path, text).map(Some)
}

#[cfg(unix)]
fn check_private(path: &Path, meta: &fs::Metadata) -> Result<(), SecretsError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(key_file_err(
            path,
            format!(
                "permissions {mode:04o} let group/others access the master keys; \
                 run `chmod 600 {}` (and check who could have read it)",
                path.display()
            ),
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _meta: &fs::Metadata) -> Result<(), SecretsError> {
    Ok(())
}

pub(crate) fn load(path: &Path) -> Result<Keyring, SecretsError> {
    match read(path)? {
        Some(parsed) => Ok(parsed.into_keyring()),
        None => Err(key_file_err(path, "does not exist")),
    }
}

pub(crate) fn load_or_create(path: &Path) -> Result<Keyring, SecretsError> {
    // Fast path without the lock, so an existing file on a read-only mount works.
    if let Some(parsed) = read(path)? {
        return Ok(parsed.into_keyring());
    }
    create_parent_dir(path)?;
    let _lock = lock(path)?;
    if read(path)?.is_none() {
        let mut text = Zeroizing::new(String::with_capacity(HEADER.len() + 64));
        text.push_str(HEADER);
        push_new_key(&mut text, 1)?;
        write_atomic(path, &text)?;
    }
    load(path)
}

pub(crate) fn rotate(path: &Path) -> Result<String, SecretsError> {
    let _lock = lock(path)?;
    let parsed = read(path)?.ok_or_else(|| key_file_err(path, "does not exist"))?;
    // Ids increase line by line, so the last is the largest.
    let last = parsed
        .entries
        .last()
        .expect("parse rejects a file without keys")
        .number;
    let number = last
        .checked_add(1)
        .ok_or_else(|| key_file_err(path, "key id counter overflow"))?;
    let mut text = Zeroizing::new(String::with_capacity(parsed.text.len() + 64));
    text.push_str(&parsed.text);
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    push_new_key(&mut text, number)?;
    write_atomic(path, &text)?;
    Ok(format!("mk-{number}"))
}

pub(crate) fn retire(path: &Path, key_id: &str) -> Result<(), SecretsError> {
    let _lock = lock(path)?;
    let parsed = read(path)?.ok_or_else(|| key_file_err(path, "does not exist"))?;
    let pos = parsed
        .entries
        .iter()
        .position(|e| e.key.id() == key_id)
        .ok_or_else(|| SecretsError::UnknownKey(key_id.to_owned()))?;
    if pos == parsed.entries.len() - 1 {
        return Err(SecretsError::RetireCurrentKey(key_id.to_owned()));
    }
    let drop_line = parsed.entries[pos].line;
    let mut text = Zeroizing::new(String::with_capacity(parsed.text.len()));
    for (idx, line) in parsed.text.split_inclusive('\n').enumerate() {
        if idx != drop_line {
            text.push_str(line);
        }
    }
    write_atomic(path, &text)
}

/// Appends `mk-<number> <base64 of a fresh key>\n`, encoding straight into the zeroizing buffer.
fn push_new_key(text: &mut Zeroizing<String>, number: u64) -> Result<(), SecretsError> {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    fill_random(&mut key[..])?;
    text.push_str(&format!("mk-{number} "));
    BASE64.encode_string(&key[..], text);
    text.push('\n');
    Ok(())
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn file_name(path: &Path) -> Result<String, SecretsError> {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| key_file_err(path, "path has no file name"))
}

fn create_parent_dir(path: &Path) -> Result<(), SecretsError> {
    let dir = parent_dir(path);
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(&dir)
        .map_err(|e| io_err(path, "cannot create parent directory", e))
}

/// Opens a file for writing with mode 0600 from the start (no window where it is wider).
fn open_private(path: &Path, opts: &mut OpenOptions) -> io::Result<File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

/// Exclusive advisory lock on `<path>.lock`, held until the returned file is dropped.
/// (The key file itself can't be locked: the atomic rename replaces its inode.)
fn lock(path: &Path) -> Result<File, SecretsError> {
    let lock_path = parent_dir(path).join(format!("{}.lock", file_name(path)?));
    let file = open_private(
        &lock_path,
        OpenOptions::new().read(true).write(true).create(true),
    )
    .map_err(|e| io_err(path, "cannot open lock file", e))?;
    file.lock().map_err(|e| io_err(path, "cannot lock", e))?;
    Ok(file)
}

/// Writes `text` to a fresh 0600 temp file in the same directory, fsyncs it and renames it
/// over `path`, so readers see either the old file or the new one, never a partial file.
fn write_atomic(path: &Path, text: &str) -> Result<(), SecretsError> {
    let dir = parent_dir(path);
    let mut suffix = [0u8; 8];
    fill_random(&mut suffix)?;
    let tmp = dir.join(format!(".{}.tmp-{}", file_name(path)?, hex::encode(suffix)));
    let result = (|| -> io::Result<()> {
        let mut file = open_private(&tmp, OpenOptions::new().write(true).create_new(true))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // `mode` above is subject to the umask; make the result exactly 0600.
            file.set_permissions(fs::Permissions::from_mode(0o600))?;
        }
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(path, "cannot write", e));
    }
    // Make the rename durable. Best effort: the new file is already in place, and reporting
    // an error here would invite a second rotation.
    #[cfg(unix)]
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> &'static Path {
        Path::new("/x/keys")
    }

    fn key_line(n: u64, byte: u8) -> String {
        format!("mk-{n} {}\n", BASE64.encode([byte; 32]))
    }

    fn parse_str(s: &str) -> Result<Parsed, SecretsError> {
        parse(p(), Zeroizing::new(s.to_owned()))
    }

    fn reason(e: SecretsError) -> String {
        match e {
            SecretsError::KeyFile { reason, .. } => reason,
            other => panic!("expected KeyFile, got {other:?}"),
        }
    }

    #[test]
    fn parses_comments_blank_lines_crlf_and_picks_last_as_current() {
        let text = format!(
            "# header\n\n{}  # not a comment-only line is fine below\n",
            key_line(1, 1).trim_end()
        );
        // A trailing comment after the key is a third token: rejected.
        assert!(parse_str(&text).is_err());

        let text = format!(
            "# header\r\n\r\n{}\r\n   \n{}",
            key_line(1, 1).trim_end(),
            key_line(3, 3)
        );
        let ring = parse_str(&text).unwrap().into_keyring();
        assert_eq!(ring.ids(), ["mk-1", "mk-3"]);
        assert_eq!(ring.current_id(), "mk-3");
    }

    #[test]
    fn malformed_lines_name_the_line_and_hide_the_content() {
        let secret_b64 = BASE64.encode([0x5A; 32]);
        let short_b64 = BASE64.encode([0x5A; 31]);
        let cases: Vec<(String, &str)> = vec![
            (format!("# c\n{secret_b64}\n"), "line 2: expected"),
            (
                format!("# c\n\n{secret_b64} mk-1\n"),
                "line 3: key id must be",
            ),
            (format!("mk-01 {secret_b64}\n"), "line 1: key id must be"),
            (format!("mk-0 {secret_b64}\n"), "line 1: key id must be"),
            (format!("key-1 {secret_b64}\n"), "line 1: key id must be"),
            (
                format!("mk-1 {short_b64}\n"),
                "line 1: key must be 32 bytes, got 31",
            ),
            (
                format!("mk-1 {}\n", BASE64.encode([0x5A; 48])),
                "line 1: key must be 32 bytes, got 48",
            ),
            (
                format!("mk-1 {}\n", BASE64.encode([0x5A; 66])),
                "line 1: key is longer than 32",
            ),
            (
                format!("mk-1 {}!\n", &secret_b64[..43]),
                "line 1: key is not valid base64",
            ),
            (format!("mk-1 {secret_b64} extra\n"), "line 1: expected"),
            (
                format!("mk-2 {secret_b64}\nmk-1 {secret_b64}\n"),
                "line 2: key id mk-1 must be greater",
            ),
            (
                format!("mk-1 {secret_b64}\nmk-1 {secret_b64}\n"),
                "line 2: key id mk-1 must be greater",
            ),
            ("# only comments\n".to_owned(), "contains no keys"),
            (String::new(), "contains no keys"),
        ];
        for (text, want) in cases {
            let err = parse_str(&text)
                .err()
                .unwrap_or_else(|| panic!("accepted: {want}"));
            let shown = err.to_string();
            let r = reason(err);
            assert!(r.contains(want), "{r:?} should contain {want:?}");
            for leak in [&secret_b64[..16], &short_b64[..16], "WlpaWl"] {
                assert!(!shown.contains(leak), "error leaks key material: {shown}");
            }
        }
    }

    #[test]
    fn retire_keeps_other_lines_verbatim() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys");
        let text = format!("# top\n{}# middle\n{}", key_line(1, 1), key_line(2, 2));
        fs::write(&path, &text).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        }
        retire(&path, "mk-1").unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            format!("# top\n# middle\n{}", key_line(2, 2))
        );
        assert_eq!(rotate(&path).unwrap(), "mk-3");
        let after = fs::read_to_string(&path).unwrap();
        assert!(after.starts_with(&format!("# top\n# middle\n{}mk-3 ", key_line(2, 2))));
        // No temp files left behind.
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(
            names.iter().all(|n| n == "keys" || n == "keys.lock"),
            "{names:?}"
        );
    }
}
