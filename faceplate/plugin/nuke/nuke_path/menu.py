# faceplate for Nuke: adds the Faceplate menu (see docs/hosts.md).
import nuke

import faceplate.plugin.nuke

faceplate.plugin.nuke.install_menu(nuke)
