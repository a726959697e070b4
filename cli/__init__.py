"""carbonledger's command line: commands for every user; nothing imports cli."""
