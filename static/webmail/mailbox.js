// Reading mail: keyboard shortcuts and list behaviour (see the mailbox app).
