# placeholder
fc: { format = 1; }
