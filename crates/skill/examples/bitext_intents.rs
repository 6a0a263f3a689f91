//! Writes `eval/retrieval/bitext_dev_intents.csv`, the data of `skill bench retrieval`: the
//! `instruction` and `intent` columns of the Bitext dev part, in its row order, nothing else.
//!
//! `cargo run --release -p skill --example bitext_intents -- SOURCE.csv OUT.csv`

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [source, out] = args.as_slice() else {
        return Err("usage: bitext_intents SOURCE.csv OUT.csv".into());
    };
    let mut reader = csv::Reader::from_path(source)?;
    let headers = reader.headers()?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("{source} has no {name} column"))
    };
    let (instruction, intent) = (column("instruction")?, column("intent")?);
    let mut writer = csv::Writer::from_path(out)?;
    writer.write_record(["instruction", "intent"])?;
    let mut rows = 0;
    for record in reader.records() {
        let record = record?;
        writer.write_record([&record[instruction], &record[intent]])?;
        rows += 1;
    }
    writer.flush()?;
    eprintln!("{rows} rows written to {out}");
    Ok(())
}
