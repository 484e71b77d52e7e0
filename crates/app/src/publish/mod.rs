//! Publishing: what Metarr writes into a movie's folder for the players. Built so far: the NFO
//! as a model (`nfo.rs`); writing files, the recycle bin and verification are issue 16's rest.

pub mod nfo;
