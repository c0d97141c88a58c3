"""Hotline-to-hotline exchange: signed report forwards and status updates between instances."""
