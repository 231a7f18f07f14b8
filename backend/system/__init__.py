"""Small pieces of state the installation keeps about itself (e.g. which seeds ran)."""
