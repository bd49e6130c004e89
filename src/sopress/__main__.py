from sopress.launch import main

main()
