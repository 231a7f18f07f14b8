"""Administrative units of Thái Nguyên (communes and wards after July 2025)."""
