"""Reading spreadsheets, lossless write-back, locks and backups."""
