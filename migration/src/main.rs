//! Stand-alone migration CLI (`cargo run -p trellis-migration -- status`).
//! Reads `DATABASE_URL`; `trellis migrate` offers the same from the main binary.

#[tokio::main]
async fn main() {
    sea_orm_migration::cli::run_cli(trellis_migration::Migrator).await;
}
