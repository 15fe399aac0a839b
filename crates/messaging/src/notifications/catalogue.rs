//! The notification kinds as data. (Filled in with the templates.)
