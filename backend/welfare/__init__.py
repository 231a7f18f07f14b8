"""Welfare status (plan model 6): programmes, beneficiaries, imports, payments."""
