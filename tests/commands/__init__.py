"""Tests of the write side: ids from natural keys, the generic handler."""
