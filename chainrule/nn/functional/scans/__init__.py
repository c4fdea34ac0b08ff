"""The recurrent scans: one primitive per layer and direction (Elman RNN, LSTM, GRU)."""
