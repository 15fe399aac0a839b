//! Typed ids of billing.

use trellis_kernel::typed_id;

typed_id!(
    /// An invoice an organization sends one of its clients.
    InvoiceId
);
typed_id!(
    /// One line of an invoice.
    InvoiceItemId
);
