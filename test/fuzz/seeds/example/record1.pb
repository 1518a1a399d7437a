
R

feature0


feature1


feature2

goat

feature3
£íe?