//! Billing's tables (SeaORM entities), one file per table. Private to the
//! crate: services return views.

pub(crate) mod invoice;
pub(crate) mod invoice_item;
pub(crate) mod stripe_event;
pub(crate) mod subscription;
