//! Rendering templates. (Filled in with the templates.)
