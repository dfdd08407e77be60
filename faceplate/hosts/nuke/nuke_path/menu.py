# faceplate for Nuke: adds the Faceplate menu (see docs/hosts.md).
import faceplate.hosts.nuke as fp

fp.install_menu(fp.nuke_module())
