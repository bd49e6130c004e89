from sopress.cli import main

main()
