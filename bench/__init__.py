"""`make bench`: what one Hookline delivery costs and how fast it goes, measured on the local stack (issue 6)."""
