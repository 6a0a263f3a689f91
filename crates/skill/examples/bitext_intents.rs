//! Writes the data of `skill bench retrieval`: a labelled CSV's text and label columns as
//! `instruction,intent`, in its row order, nothing else.
//!
//! `cargo run --release -p skill --example bitext_intents -- SOURCE.csv OUT.csv
//!  [--text COLUMN] [--label COLUMN] [--every N]`
//!
//! - `eval/retrieval/bitext_dev_intents.csv`: the Bitext dev part, every row (columns
//!   `instruction` and `intent`, the defaults).
//! - `eval/retrieval/banking77_tune_intents.csv`: the tuning split, every 3rd row of
//!   BANKING77's `train.csv` (`--text text --label category --every 3`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (mut text_col, mut label_col, mut every) =
        ("instruction".to_owned(), "intent".to_owned(), 1);
    let mut paths = Vec::new();
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--text" => text_col = value()?,
            "--label" => label_col = value()?,
            "--every" => every = value()?.parse::<usize>()?.max(1),
            _ => paths.push(arg),
        }
    }
    let [source, out] = paths.as_slice() else {
        return Err(
            "usage: bitext_intents SOURCE.csv OUT.csv [--text COLUMN] [--label COLUMN] [--every N]"
                .into(),
        );
    };
    let mut reader = csv::Reader::from_path(source)?;
    let headers = reader.headers()?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("{source} has no {name} column"))
    };
    let (text, label) = (column(&text_col)?, column(&label_col)?);
    let mut writer = csv::Writer::from_path(out)?;
    writer.write_record(["instruction", "intent"])?;
    let mut rows = 0;
    for (i, record) in reader.records().enumerate() {
        let record = record?;
        if i % every != 0 {
            continue;
        }
        writer.write_record([&record[text], &record[label]])?;
        rows += 1;
    }
    writer.flush()?;
    eprintln!("{rows} rows written to {out}");
    Ok(())
}
