from jurisdiction.cli import main

main()
