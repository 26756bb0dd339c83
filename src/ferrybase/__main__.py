from ferrybase.cli import main

main()
