"""Social assistance (Opinions §(13), §(10)): minimum living guarantee and its successors."""
