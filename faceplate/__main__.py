from faceplate.cli import main

main()
