"""Operations: locks, inbox, backfill, status, serving."""
