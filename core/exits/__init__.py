"""Exit settlement (penyelesaian keluar anggota): above savings and loans in the
dependency order, since it settles both."""
