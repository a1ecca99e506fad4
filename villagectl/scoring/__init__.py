"""Pure scoring functions over DataFrames (monthly, annual, cadre)."""
