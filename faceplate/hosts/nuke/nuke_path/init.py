# faceplate for Nuke: nothing to set up at start; the menu is added by menu.py.
